"""Languages: which one a page, a mail or a message is in, and the catalogs behind them (Flask-Babel).

A signed-in user's choice (Settings → Language) wins; then what the public switcher chose in this session; then
the browser's Accept-Language among ours; then the platform's default (BABEL_DEFAULT_LOCALE, English unless
configured). A mail is in its recipient's language (see `for_recipient`), never in the language of whoever caused it.
"""

import functools
import os
from contextlib import contextmanager

import flask_admin.babel
from babel import support
from flask import current_app, has_request_context, request, session
from flask_babel import Babel, force_locale, get_locale

# Each language in its own name, as the switchers show it.
LANGUAGES = {"en": "English", "ru": "Русский", "kk": "Қазақша"}
SESSION_KEY = "language"  # the public switcher's choice, for a visitor not signed in
TRANSLATIONS = os.path.join(os.path.dirname(__file__), "translations")

babel = Babel()


def N_(text: str) -> str:
    """Marks a message for the catalogs (pybabel extracts N_) and keeps it as written: translated where it is
    shown (a field's English label is also an import header; a stored code's words are read by roster.labels)."""
    return text


def select_locale() -> str:
    from flask_login import current_user

    if has_request_context():
        if current_user.is_authenticated and current_user.language in LANGUAGES:
            return current_user.language
        if session.get(SESSION_KEY) in LANGUAGES:
            return session[SESSION_KEY]
        return request.accept_languages.best_match(LANGUAGES) or default()
    return default()


def default() -> str:
    """The platform's language: where nothing else is chosen (a school without its own, a visitor's browser
    asking for none of ours)."""
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current() -> str:
    """The language of this page (or of the mail being rendered)."""
    locale = get_locale()
    return locale.language if locale is not None else default()


def for_recipient(user=None, school=None, *, on_the_page: bool = False) -> str:
    """A mail's language: its recipient's own choice; else their school's (a student invited or given
    credentials has chosen nothing yet); else the language of the page that caused it; else the platform's.

    on_the_page: the recipient is the person on the page that caused the mail (signing up, asking for a reset):
    the page's language comes before the school's.
    """
    if user is not None and getattr(user, "language", None) in LANGUAGES:
        return user.language
    if on_the_page and has_request_context():
        return current()
    if school is not None and school.language in LANGUAGES:
        return school.language
    return current() if has_request_context() else default()


@contextmanager
def speaking(language: str | None):
    """Everything rendered inside is in `language` (a mail, a background job's report)."""
    with force_locale(language if language in LANGUAGES else default()):
        yield


@functools.cache
def _catalog(language: str):
    return support.Translations.load(TRANSLATIONS, [language], "messages")


def in_every_language(text: str) -> set[str]:
    """A message as each of our languages writes it (import headers are read in all three, whatever the page's
    language); straight from the catalogs, so usable at import time, outside any app."""
    return {text} | {_catalog(language).gettext(text) for language in LANGUAGES}


def translator(language: str):
    """gettext of one of our languages, from its catalog, outside any app."""
    return _catalog(language).gettext


class _AdminDomain(flask_admin.babel.CustomDomain):
    """Flask-Admin's "admin" domain with Roster's catalog (Admin(translations_path=...)) loaded last.

    Flask-Babel merges the catalogs of a domain's directories in order and the last one wins; Flask-Admin puts
    ours first, so its own Russian (with plural bugs: "Запись успешно удалена." for 21 records) would win over
    ours. Ours has every Flask-Admin string Roster shows, in Russian and Kazakh, with their plural forms.
    """

    @property
    def translation_directories(self) -> list[str]:
        return list(reversed(super().translation_directories))


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS)
    flask_admin.babel.domain.__class__ = _AdminDomain
    app.jinja_env.globals.update(roster_languages=LANGUAGES, roster_lang=current, roster_message=message,
                                 roster_count=count, roster_today=_today)
    app.jinja_env.filters.update(number=number)


def message(text: str | None) -> str:
    """A message kept in the database, translated when it is one of ours (written in English by whichever
    process noticed), else as it was written (already in its reader's language)."""
    from flask_babel import gettext

    return gettext(text) if text else ""


def _today():
    from datetime import date

    return date.today()


def count(value) -> str:
    """A list's count: "12 345", or "10 000+" for a count that stopped at its cap (one marked `capped`)."""
    return number(value) + ("+" if getattr(value, "capped", False) else "")


def number(value) -> str:
    """A number as the page's language writes it (12,345 · 12 345)."""
    from flask_babel import format_decimal

    return format_decimal(int(value) if isinstance(value, int) else value)  # an int subclass too (AtLeast)
