"""Secrets at rest, sealed: a credentials mail's password or a live link while the mail waits, a TOTP secret.

Fernet (AES in CBC mode with an HMAC) under a key derived from SECRET_KEY, which every web and worker process
has and the database does not: a copy of the database alone never yields a password.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

_PURPOSE = b"roster: mail secret\x00"


class Unreadable(ValueError):
    """The sealed text was sealed under another SECRET_KEY (or altered)."""


def _fernet() -> Fernet:
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(_PURPOSE + key).digest()))


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def unseal(sealed: str) -> str:
    try:
        return _fernet().decrypt(sealed.encode()).decode()
    except InvalidToken:
        raise Unreadable("The sealed text cannot be read with this SECRET_KEY.") from None
