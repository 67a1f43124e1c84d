"""One key for the ways a name reaches a school's list: "Ёлкина" and "Елкина", "Әлия" and "Алия", "Yerlan",
"Erlan" and "Ерлан". Duplicate detection compares these keys, never the names as typed.

The key folds case; Ё to Е; the Kazakh letters to their Russian look-alikes (ә→а, і→и, ң→н, ғ→г, ү and ұ→у,
қ→к, ө→о, һ→х); Latin to Cyrillic by one transliteration table (its two- and four-letter groups first: shch,
zh, kh, ts, ch, sh, yu, ya, yo, ye); and, on both sides, the letters transliterations disagree on: й and ы to и,
э to е, ь and ъ dropped; я and ю as и + а and и + у (Yulia, Yuliya, Iuliia, Юлия); a doubled letter as one
(Анна, Ana). What is left of anything else (spaces, hyphens, apostrophes) goes.
"""

from __future__ import annotations

import functools
import re

KAZAKH = {"ә": "а", "і": "и", "ң": "н", "ғ": "г", "ү": "у", "ұ": "у", "қ": "к", "ө": "о", "һ": "х"}
# Where transliterations of one name disagree, one letter for all of them.
CYRILLIC = {"ё": "е", "й": "и", "ы": "и", "э": "е", "ь": "", "ъ": "", "я": "иа", "ю": "иу"}
# Latin to Cyrillic: longest groups first (a regular expression tries them in this order).
LATIN_GROUPS = {"shch": "щ", "zh": "ж", "kh": "х", "ts": "ц", "ch": "ч", "sh": "ш", "yu": "ю", "ya": "я",
                "yo": "е", "ye": "е", "ju": "ю", "ja": "я"}
LATIN = {"a": "а", "b": "б", "c": "к", "d": "д", "e": "е", "f": "ф", "g": "г", "h": "х", "i": "и", "j": "ж",
         "k": "к", "l": "л", "m": "м", "n": "н", "o": "о", "p": "п", "q": "к", "r": "р", "s": "с", "t": "т",
         "u": "у", "v": "в", "w": "в", "x": "кс", "y": "и", "z": "з"}
_LATIN = re.compile("|".join(sorted(LATIN_GROUPS, key=len, reverse=True)) + "|[a-z]")
_SINGLE = str.maketrans({**KAZAKH, **CYRILLIC})
_NOT_LETTER = re.compile(r"[^а-яё]+")
_DOUBLED = re.compile(r"(.)\1+")


def _latin(match: re.Match) -> str:
    group = match.group(0)
    return LATIN_GROUPS.get(group) or LATIN[group]


@functools.lru_cache(maxsize=65536)  # names repeat: a school has a few hundred first names
def name_key(text: str | None) -> str:
    """A name's folded key: "Yerlan", "Erlan", "Ерлан" → "ерлан"; "Әлия" → "алия"; "Ёлкина" → "елкина"."""
    lowered = (text or "").lower()
    cyrillic = _LATIN.sub(_latin, lowered)
    return _DOUBLED.sub(r"\1", _NOT_LETTER.sub("", cyrillic.translate(_SINGLE)))


def phone_digits(text: str | None) -> str:
    """A phone's last ten digits: "+7 701 123 45 67" and "8 (701) 123-45-67" are one number."""
    if text and text[0] == "+" and text[1:].isdigit():  # a stored E.164 number: no pattern to run
        return text[-10:]
    return re.sub(r"\D", "", text or "")[-10:]
