"""URL helpers."""

from urllib.parse import urlsplit


def safe_next(url: str | None) -> str | None:
    """Return url when it is a path on this site, else None: `next` never leads elsewhere."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in url):
        return None
    return url
