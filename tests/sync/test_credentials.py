"""The hub token: in the OS keyring when there is one; only in memory (never a file) when there is not."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from mentalspace_desktop.sync import credentials
from mentalspace_desktop.sync.credentials import NO_KEYRING_MESSAGE, HubCredential, keyring_available
from tests.sync.conftest import MemoryKeyring


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    credentials.forget_session_tokens()
    credentials._reported = False
    yield
    keyring.set_keyring(previous)
    credentials.forget_session_tokens()


def test_without_a_keyring_the_token_lives_in_memory_and_says_so(
        no_keyring: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    assert not keyring_available()
    cred = HubCredential("https://hub.example.org/", "dev-1")
    with caplog.at_level(logging.WARNING):
        cred.set("secret-token-1")
        HubCredential("https://hub.example.org", "dev-2").set("secret-token-2")
    assert cred.get() == "secret-token-1"
    assert cred.warning == NO_KEYRING_MESSAGE and not cred.persistent
    assert [r.getMessage() for r in caplog.records].count(NO_KEYRING_MESSAGE) == 1  # reported once
    assert list(tmp_path.iterdir()) == []  # nothing written next to us
    credentials.forget_session_tokens()  # "next start"
    assert HubCredential("https://hub.example.org", "dev-1").get() is None


def test_with_a_keyring_the_token_goes_there(memory_keyring: MemoryKeyring) -> None:
    cred = HubCredential("https://hub.example.org", "dev-1")
    cred.set("t1")
    cred.set("t2")  # rotation replaces it
    assert memory_keyring.saved == {("MentalSpace hub", "https://hub.example.org|dev-1"): "t2"}
    assert cred.persistent and cred.get() == "t2"
    cred.delete()
    assert cred.get() is None


def test_a_chainer_with_nothing_to_chain_is_no_keyring() -> None:
    from keyring.backends.chainer import ChainerBackend

    class EmptyChainer(ChainerBackend):
        backends: list[object] = []

    assert not keyring_available(EmptyChainer())
