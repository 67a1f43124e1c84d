"""URL and HTTP helpers: where a `next` may lead, what a record id in a URL or form may be, how a download is
named."""

import posixpath
import unicodedata
from urllib.parse import quote, urlsplit

from werkzeug.utils import secure_filename


def safe_next(url: str | None) -> str | None:
    """Return url when it is a path on this site, else None: `next` never leads elsewhere."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in url):
        return None
    return url


MAX_ID = 2**63 - 1  # the largest id a database column holds (BIGINT); anything above is no record


def record_id(value) -> int | None:
    """The record id a URL or form names, or None: only plain decimal digits within the databases' range.

    "abc", "1.5", "", " 7" and 99999999999999999999999 are no id (the last would overflow the driver: a 500).
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= MAX_ID else None
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None


def record_ids(values) -> tuple[list[int], list[str]]:
    """The ids of a bulk action's rows: (ids understood, values not understood)."""
    ids, bad = [], []
    for value in values:
        number = record_id(value)
        if number is None:
            bad.append(str(value))
        else:
            ids.append(number)
    return ids, bad


def clean_file_name(name: str | None, *, default: str = "file") -> str:
    """A file name as a person gave it, without its folders, control characters (CR, LF, tabs) or invisible
    format characters (right-to-left overrides): safe to keep, to show (escaped) and to name a download after."""
    name = posixpath.basename((name or "").replace("\\", "/"))
    kinds = {"Cc": " ", "Cf": ""}  # a line break or tab parts words; an invisible format character goes
    name = "".join(kinds.get(unicodedata.category(c), c) for c in unicodedata.normalize("NFC", name))
    name = " ".join(name.split()).strip(". ")
    return name[:200] or default


def attachment(file_name: str) -> dict[str, str]:
    """The Content-Disposition of a download named file_name (RFC 6266): a plain-ASCII `filename` for old
    clients and the name itself as `filename*=UTF-8''…`; never a path, a quote or a line break."""
    name = clean_file_name(file_name, default="download")
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    ascii_stem = secure_filename(unicodedata.normalize("NFKD", stem)).strip("-_") or "download"
    ascii_name = ascii_stem + (f".{secure_filename(extension)}" if extension else "")
    value = f'attachment; filename="{ascii_name}"'
    if ascii_name != name:
        value += f"; filename*=UTF-8''{quote(name, safe='')}"
    return {"Content-Disposition": value}
