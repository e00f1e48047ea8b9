from __future__ import annotations

import re

from factory_os.ids import MIN_HEX, new_id
from factory_os.model.common import is_branch_safe


def test_new_id_is_a_prefix_and_random_hex() -> None:
    ids = {new_id("R", lambda _: False) for _ in range(50)}
    assert len(ids) == 50
    for identifier in ids:
        assert re.fullmatch(rf"R-[0-9a-f]{{{MIN_HEX}}}", identifier)
        assert is_branch_safe(identifier)


def test_new_id_lengthens_when_every_candidate_is_taken() -> None:
    identifier = new_id("INC", lambda candidate: len(candidate) < len("INC-") + MIN_HEX + 2)
    assert re.fullmatch(r"INC-[0-9a-f]{8}", identifier)


def test_counters_and_free_names_are_not_branch_safe() -> None:
    for identifier in ("R-0007", "INC-12", "D-1", "S-abc", "run_1234567", "R-ABCDEF"):
        assert not is_branch_safe(identifier), identifier
