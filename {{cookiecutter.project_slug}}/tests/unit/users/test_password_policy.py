"""The password policy: the shipped list, the normal form it compares, trivial passwords."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.users import password_policy


def fullwidth(text: str) -> str:
    """`text` in the fullwidth forms of its ASCII characters, as some keyboards type them."""
    return "".join(chr(ord(character) + 0xFEE0) for character in text)


def test_common_password_list_has_at_least_ten_thousand_entries() -> None:
    assert len(password_policy.common_passwords()) >= 10_000


def test_common_password_list_is_loaded_once() -> None:
    assert password_policy.common_passwords() is password_policy.common_passwords()


@pytest.mark.parametrize(
    "password",
    [
        "password",
        "Password1!",
        "password2",
        fullwidth("password"),
        fullwidth("PASSWORD"),
        "!!PASSWORD!!",
        "2024 password",
    ],
)
def test_normalise_reduces_variants_to_the_same_word(password: str) -> None:
    assert password_policy.normalise(password) == "password"


@pytest.mark.parametrize("password", ["12345678", "a1234567", "!@#$%^&*"])
def test_normalise_keeps_passwords_without_a_word_whole(password: str) -> None:
    assert password_policy.normalise(password) == password


@pytest.mark.parametrize("password", ["Monkey2024!", "iloveyou!!", "12345678", "Qwerty123"])
def test_weakness_of_common_password_says_too_common(password: str) -> None:
    assert "too common" in (password_policy.weakness(password) or "")


@pytest.mark.parametrize(
    "password", ["aaaaaaaa", "zzzzzzzzzzzzzzzzzzzz", "abcabcabcabc", "11221122"]
)
def test_weakness_of_few_distinct_characters_says_so(password: str) -> None:
    assert "different characters" in (password_policy.weakness(password) or "")


@pytest.mark.parametrize(
    "password",
    [
        "quartz lantern mosaic orbit velvet pickle",
        "Tr0ub4dor&3x",
        "my cat hates mondays",
        "7a93847562019",
    ],
)
def test_weakness_of_strong_password_is_none(password: str) -> None:
    assert password_policy.weakness(password) is None
