from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from factory_os import clock
from factory_os.errors import UsageError
from tests.helpers import fos


def test_fos_now_pins_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:30:00+01:00")
    assert clock.now() == datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    assert clock.stamp() == "2026-12-01T08:30:00Z"


def test_a_time_without_a_zone_is_utc() -> None:
    assert clock.parse("2026-12-01T09:00:00") == datetime(2026, 12, 1, 9, tzinfo=UTC)


def test_a_malformed_fos_now_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOS_NOW", "yesterday")
    with pytest.raises(UsageError, match="FOS_NOW: 'yesterday' is not an ISO 8601 time"):
        clock.now()


def test_the_ledger_records_the_pinned_time(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOS_NOW", "2030-01-02T03:04:05Z")
    assert fos(repo, "init").code == 0
    result = fos(repo, "ledger", "log", "--format", "json")
    assert "2030-01-02T03:04:05Z" in result.out


@pytest.mark.parametrize(
    "pinned",
    [
        "2026-12-01T09:30:00Z",
        "2024-02-29T23:59:59Z",
        "2026-12-01T09:30:00+01:00",
        "2026-12-01T09:30:00",
        " 2026-12-01T09:30:00Z",
    ],
)
def test_the_stamp_of_now_is_the_stamp_of_the_pinned_time(
    monkeypatch: pytest.MonkeyPatch, pinned: str
) -> None:
    monkeypatch.setenv("FOS_NOW", pinned)
    assert clock.now_stamp() == clock.stamp()


@pytest.mark.parametrize(
    "pinned",
    [
        "2026-02-29T09:00:00Z",
        "2026-13-01T09:00:00Z",
        "2026-12-01T24:00:00Z",
        "x" * 20,
        "2026-12-01t09:30:00z",
    ],
)
def test_the_stamp_of_a_pinned_time_that_is_no_time_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, pinned: str
) -> None:
    monkeypatch.setenv("FOS_NOW", pinned)
    with pytest.raises(UsageError, match=r"FOS_NOW: .* is not an ISO 8601 time"):
        clock.now_stamp()


def test_the_stamp_of_the_system_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOS_NOW", raising=False)
    before = clock.stamp()
    assert before <= clock.now_stamp() <= clock.stamp()
