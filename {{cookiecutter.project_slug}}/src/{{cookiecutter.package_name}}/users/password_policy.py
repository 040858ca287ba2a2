"""The password policy: no common password, however it is dressed up, and no trivial one."""

from __future__ import annotations

import functools
import gzip
import re
import unicodedata
from pathlib import Path

# django/contrib/auth/common-passwords.txt.gz from Django 5.2.19, unchanged: 19,640 passwords
# from public breach corpora, compiled by Royce Williams. BSD-3-Clause, (c) Django Software
# Foundation and individual contributors; the licence text is in common_passwords.LICENSE.
COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt.gz")
MIN_DISTINCT_CHARACTERS = 4
# A core this short ("a" of "a1234567") is no word of its own: compare the whole password.
_MIN_CORE_LENGTH = 3
_TRIVIAL_EDGES = re.compile(r"\A[\W\d_]+|[\W\d_]+\Z")


def _fold(password: str) -> str:
    return unicodedata.normalize("NFKC", password).casefold()


def normalise(password: str) -> str:
    """The word a guesser starts from: width and case folded, digits and symbols around it cut."""
    folded = _fold(password)
    core = _TRIVIAL_EDGES.sub("", folded)
    return core if len(core) >= _MIN_CORE_LENGTH else folded


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list in normal form, read on first use."""
    text = gzip.decompress(COMMON_PASSWORDS_FILE.read_bytes()).decode()
    return frozenset(normalise(password) for password in text.splitlines())


def weakness(password: str) -> str | None:
    """Why `password` is refused, in words that never repeat it; None when it is acceptable."""
    if len(set(_fold(password))) < MIN_DISTINCT_CHARACTERS:
        return (
            f"this password uses fewer than {MIN_DISTINCT_CHARACTERS} different characters; "
            "choose another"
        )
    if normalise(password) in common_passwords():
        return "this password is too common, even with digits or symbols around it; choose another"
    return None
