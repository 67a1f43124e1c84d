"""URL helpers: where a `next` may lead, and what a record id in a URL or form may be."""

from urllib.parse import urlsplit


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
