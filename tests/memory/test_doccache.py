"""The document cache reads through `store`: what is not a regular file is refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import fos_process

RULE = ".factory/rules/R-core-ceo-never-writes-code.yaml"
NOT_REGULAR = f"{RULE}: not a regular file (a device, FIFO or socket)"


@pytest.mark.parametrize(
    "args", [["context"], ["verify"], ["session", "start"], ["export", "agents-md"]]
)
def test_a_fifo_in_place_of_a_rule_file_is_refused_not_waited_on(
    factory_repo: Path, args: list[str]
) -> None:
    rule = factory_repo / RULE
    rule.unlink()
    os.mkfifo(rule)
    # reading a FIFO without a writer waits forever: the timeout is the failure
    result = fos_process(factory_repo, *args, timeout=60)
    assert result.code == 3, result.output
    assert NOT_REGULAR in result.err
    assert "Traceback" not in result.output


@pytest.mark.parametrize("args", [["context"], ["session", "start"]])
def test_a_fifo_among_the_ledger_segments_is_passed_over(
    factory_repo: Path, args: list[str]
) -> None:
    os.mkfifo(factory_repo / ".factory" / "ledger" / "ffffffffffffffff.jsonl")
    result = fos_process(factory_repo, *args, timeout=60)
    assert result.code == 0, result.output
