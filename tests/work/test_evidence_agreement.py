"""A case report is judged without the models when it is plainly valid
(`evidence.plain_cases`), and by `model.spec.CaseReport` otherwise: the two must reach
the same verdict, and read the same cases, on every report the lifecycle's tests use
or refuse, and on each way a report can be wrong."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from factory_os.errors import InvalidInput
from factory_os.model.spec import CaseReport
from factory_os.work import evidence
from factory_os.work.operating import EvidenceKind
from tests.lifecycle_helpers import cases

EXAMPLE = Path(__file__).parents[2] / "example-repo" / ".factory" / "specs"
CASE = {"id": "c1", "outcome": "pass", "critical": True, "attack_class": "jailbreak"}


def report(*rows: object, **top: object) -> str:
    return json.dumps({"cases": list(rows), **top})


VALID = [
    cases(20),
    cases(19),
    cases(20, failed=3, critical=4, critical_failed=1),
    cases(25, critical=25, critical_failed=25),
    report(CASE),
    report({"id": "x", "outcome": "fail"}, notes="why"),
    report({**CASE, "attack_class": None, "description": "d", "critical": False}),
    report({**CASE, "attack_class": "a" * 80}),
    report({**CASE, "attack_class": "0a._-z"}),
    *(path.read_text() for path in sorted(EXAMPLE.glob("*/*.json"))),
]
INVALID = [
    report({"id": "a", "outcome": "maybe"}),  # the CLI's refusal of a bad outcome
    report(),  # no case
    "not json",
    "[]",
    json.dumps({"notes": "no cases"}),
    json.dumps({"cases": {"id": "c1"}}),
    report(CASE, extra=1),
    report(CASE, notes=3),
    report("c1"),
    report({"outcome": "pass"}),
    report({**CASE, "id": ""}),
    report({**CASE, "id": 7}),
    report({"id": "c1"}),
    report({**CASE, "outcome": "PASS"}),
    report({**CASE, "outcome": True}),
    report({**CASE, "critical": 1}),
    report({**CASE, "critical": "true"}),
    report({**CASE, "critical": None}),
    report({**CASE, "attack_class": ""}),
    report({**CASE, "attack_class": "Jailbreak"}),
    report({**CASE, "attack_class": "-jailbreak"}),
    report({**CASE, "attack_class": "jail break"}),
    report({**CASE, "attack_class": "jailbreak\n"}),
    report({**CASE, "attack_class": "a" * 81}),
    report({**CASE, "attack_class": 3}),
    report({**CASE, "description": 3}),
    report({**CASE, "severity": "high"}),
]


def by_the_model(text: str) -> list[tuple[str, bool, str | None]] | None:
    try:
        found = CaseReport.model_validate(json.loads(text))
    except (ValueError, ValidationError):
        return None
    return [(c.outcome, c.critical, c.attack_class) for c in found.cases]


@pytest.mark.parametrize("text", VALID)
def test_a_valid_report_is_read_alike_without_the_models(text: str) -> None:
    assert by_the_model(text) is not None
    assert evidence.plain_cases(text) == by_the_model(text)


@pytest.mark.parametrize("text", INVALID)
def test_an_invalid_report_is_left_to_the_model_which_refuses_it(text: str) -> None:
    assert by_the_model(text) is None
    assert evidence.plain_cases(text) is None


@pytest.mark.parametrize("text", VALID + INVALID)
def test_the_figures_are_the_models(text: str) -> None:
    kind = EvidenceKind("eval", "cases", "eval.json")
    try:
        figures = evidence.figures_of(kind, text, "eval.json")
    except InvalidInput:
        figures = None
    modelled = by_the_model(text)
    if modelled is None:
        assert figures is None
    else:
        critical = [outcome for outcome, is_critical, _ in modelled if is_critical]
        assert figures == {
            "cases": len(modelled),
            "passed": sum(outcome == "pass" for outcome, _, _ in modelled),
            "critical": len(critical),
            "critical_passed": critical.count("pass"),
            "classes": sorted({attack for _, _, attack in modelled if attack}),
        }


def test_a_plain_case_report_is_judged_without_the_models() -> None:
    code = (
        "import sys; from factory_os.work import evidence;"
        " from factory_os.work.operating import EvidenceKind;"
        " kind = EvidenceKind('eval', 'cases', 'eval.json');"
        f" print(evidence.figures_of(kind, {cases(20)!r}, 'eval.json')['cases']);"
        " print(sorted(m for m in sys.modules if m.split('.')[0] == 'pydantic'))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)  # fmt: skip
    assert proc.stdout.split("\n")[:2] == ["20", "[]"]
