"""The typed component registry the lifespan fills: one value per key, closed in reverse."""

from __future__ import annotations

import pytest

from gateway.providers import Key, Providers

NUMBER: Key[int] = Key("test.number")
WORD: Key[str] = Key("test.word")


def test_values_come_back_under_their_key_and_close_in_reverse() -> None:
    closed: list[str] = []
    providers = Providers()
    assert providers.add(NUMBER, 7, close=lambda: closed.append("number")) == 7
    providers.add(WORD, "seven", close=lambda: closed.append("word"))
    assert (providers.get(NUMBER), providers.get(WORD)) == (7, "seven")
    providers.close()
    assert closed == ["word", "number"]
    providers.close()  # closing twice closes nothing twice
    assert closed == ["word", "number"]


def test_a_key_is_provided_once_and_a_missing_one_is_named() -> None:
    providers = Providers()
    providers.add(NUMBER, 1)
    with pytest.raises(ValueError, match=r"test\.number"):
        providers.add(NUMBER, 2)
    with pytest.raises(LookupError, match=r"test\.word"):
        providers.get(WORD)
