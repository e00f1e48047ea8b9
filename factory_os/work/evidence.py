"""Evidence: read a stage's evidence file, refuse it when invalid, compute its figures.

Evidence is computed, not claimed: a case report lists its cases and outcomes,
and the figures the gates judge (how many cases, how many passed, which attack
classes) are counted here from the file, then recorded with its digest. The
thresholds are judged from those figures (`shortfalls`), so a gate never has
to read the file again, only check that its digest still holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from factory_os.errors import InvalidInput, Problem
from factory_os.work.operating import EvidenceKind

if TYPE_CHECKING:
    from pydantic import ValidationError

    from factory_os import store
    from factory_os.model.spec import CaseReport, RankingEvidence

RANK_MIN, RANK_MAX = 1, 5
_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.MULTILINE)
_ANY_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
PLACEHOLDER = "(to write)"  # what `fos spec new` puts in each section of a new spec

Figures = dict[str, Any]  # ints and strings only: they go into a ledger entry


class Shortfall(NamedTuple):
    """A threshold the evidence does not meet."""

    threshold: str
    message: str
    hard: bool


def figures_of(kind: EvidenceKind, text: str, rel: str) -> Figures:
    """The figures of evidence TEXT (the file REL); InvalidInput when it is not valid."""
    if kind.format == "markdown":
        return _markdown(kind, text, rel)
    if kind.format == "cases":
        cases = plain_cases(text)
        if cases is None:  # the model says why it is not a case report, or reads it
            from factory_os.model.spec import CaseReport

            report = _from_json(CaseReport, text, rel)
            cases = [(c.outcome, c.critical, c.attack_class) for c in report.cases]
        critical = [outcome for outcome, is_critical, _ in cases if is_critical]
        return {
            "cases": len(cases),
            "passed": sum(outcome == "pass" for outcome, _, _ in cases),
            "critical": len(critical),
            "critical_passed": sum(outcome == "pass" for outcome in critical),
            "classes": sorted({attack for _, _, attack in cases if attack}),
        }
    from factory_os import store
    from factory_os.model.spec import BuildEvidence, LaunchRecord, RankingEvidence

    doc = store.parse_yaml(text, rel)
    if kind.format == "ranking":
        ranking = store.validate(RankingEvidence, doc)
        _check_factors(kind, ranking, doc)
        return {"total": sum(ranking.scores.values()), "factors": len(ranking.scores)}
    if kind.format == "build":
        build = store.validate(BuildEvidence, doc)
        return {"version": build.version}
    record = store.validate(LaunchRecord, doc)
    return {
        "owner": record.owner,
        "thresholds": len(record.thresholds),
        "met": sum(result.met for result in record.thresholds),
    }


Case = tuple[str, bool, "str | None"]  # outcome, critical, attack class
_REPORT_KEYS = frozenset({"cases", "notes"})
_CASE_KEYS = frozenset({"id", "outcome", "critical", "attack_class", "description"})
_SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*")  # `model.common.SLUG`, anchored by fullmatch
SLUG_MAX = 80  # `model.common.SLUG_MAX`


def plain_cases(text: str) -> list[Case] | None:
    """The cases of the case report TEXT when it is plainly one: JSON whose every value
    is of the exact type `model.spec.CaseReport` asks for, and meets its constraints,
    so the model would read it as it stands. None otherwise, and the model decides
    (and says why it is not one). What a pull request's check and the CLI judge of a
    case report without importing the models: `tests/work/test_evidence_agreement.py`
    holds the two to the same verdict."""
    import json

    try:
        report = json.loads(text)
    except ValueError:
        return None
    if type(report) is not dict or not report.keys() <= _REPORT_KEYS:
        return None
    rows, notes = report.get("cases"), report.get("notes", "")
    if type(rows) is not list or not rows or type(notes) is not str:
        return None
    cases = []
    for case in rows:
        if type(case) is not dict or not case.keys() <= _CASE_KEYS:
            return None
        ident, outcome = case.get("id"), case.get("outcome")
        critical, attack = case.get("critical", False), case.get("attack_class")
        if type(ident) is not str or not ident or outcome not in ("pass", "fail"):
            return None
        if type(outcome) is not str or type(critical) is not bool:
            return None
        if attack is not None and not (
            type(attack) is str and len(attack) <= SLUG_MAX and _SLUG.fullmatch(attack)
        ):
            return None
        if type(case.get("description", "")) is not str:
            return None
        cases.append((outcome, critical, attack))
    return cases


def shortfalls(kind: EvidenceKind, figures: Mapping[str, Any]) -> list[Shortfall]:
    """The thresholds of KIND that FIGURES do not meet, each with the figures in words."""
    found = []

    def short(threshold: str, message: str) -> None:
        found.append(Shortfall(threshold, message, threshold in kind.hard))

    cases, passed = _int(figures, "cases"), _int(figures, "passed")
    if kind.min_cases is not None and cases < kind.min_cases:
        short("min_cases", f"{cases} cases, at least {kind.min_cases} needed")
    if kind.min_pass_rate is not None and not _at_least(passed, cases, kind.min_pass_rate):
        short("min_pass_rate", f"pass rate {_rate(passed, cases)}, at least {kind.min_pass_rate}")
    critical, critical_passed = _int(figures, "critical"), _int(figures, "critical_passed")
    if kind.critical_pass_rate is not None and not _at_least(
        critical_passed, critical, kind.critical_pass_rate
    ):
        short(
            "critical_pass_rate",
            f"{critical - critical_passed} of {critical} critical cases failed"
            f" (critical pass rate {_rate(critical_passed, critical)},"
            f" at least {kind.critical_pass_rate})",
        )
    classes = figures.get("classes")
    missing = [c for c in kind.attack_classes if not isinstance(classes, list) or c not in classes]
    if missing:
        short("attack_classes", f"no case for attack class {', '.join(missing)}")
    if kind.format == "launch-record" and _int(figures, "met") < _int(figures, "thresholds"):
        found.append(Shortfall("thresholds", "the launch record lists a threshold not met", False))
    return found


def _int(figures: Mapping[str, Any], key: str) -> int:
    value = figures.get(key, 0)
    return value if isinstance(value, int) else 0


def _at_least(part: int, whole: int, rate: float) -> bool:
    """PART / WHOLE >= RATE, exactly; nothing to judge (WHOLE 0) holds."""
    from fractions import Fraction

    return whole == 0 or Fraction(part, whole) >= Fraction(str(rate))


def _rate(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.2f}" if whole else "n/a"


def _markdown(kind: EvidenceKind, text: str, rel: str) -> Figures:
    if not text.strip():
        raise InvalidInput.one(rel, 1, "empty document")
    bodies = _sections(text)
    problems = []
    for section in kind.sections:
        found = bodies.get(section.lower())
        if found is None:
            problems.append(Problem(rel, 0, f"missing section `## {section}`"))
        elif not found[1].strip() or found[1].strip() == PLACEHOLDER:
            problems.append(Problem(rel, found[0], f"section `## {section}` is not written"))
    if problems:
        raise InvalidInput(problems)
    return {"sections": len(kind.sections)}


def _sections(text: str) -> dict[str, tuple[int, str]]:
    """heading (lowercased) -> (its line, the text up to the next heading of any level)."""
    found: dict[str, tuple[int, str]] = {}
    matches = list(_HEADING.finditer(text))
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        body = _ANY_HEADING.split(text[match.end() : end])[0]
        line = text.count("\n", 0, match.start()) + 1
        found.setdefault(match.group(1).strip().lower(), (line, body))
    return found


def _check_factors(kind: EvidenceKind, ranking: RankingEvidence, doc: store.YamlDocument) -> None:
    problems = []
    for factor, score in ranking.scores.items():
        line = doc.line_of(("scores", factor))
        if kind.factors and factor not in kind.factors:
            problems.append(Problem(doc.rel, line, f"scores.{factor}: not a factor of the rubric"))
        elif not RANK_MIN <= score <= RANK_MAX:
            problems.append(
                Problem(doc.rel, line, f"scores.{factor}: {score} is not {RANK_MIN} to {RANK_MAX}")
            )
    line = doc.line_of(("scores",))
    problems += [
        Problem(doc.rel, line, f"scores: factor {factor!r} is not scored")
        for factor in kind.factors
        if factor not in ranking.scores
    ]
    if problems:
        raise InvalidInput(problems)


def _from_json(model: type[CaseReport], text: str, rel: str) -> CaseReport:
    import json

    from pydantic import ValidationError

    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput.one(rel, exc.lineno, f"invalid JSON: {exc.msg}") from None
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise InvalidInput(_pointer_problems(exc, rel)) from None


def _pointer_problems(exc: ValidationError, rel: str) -> list[Problem]:
    problems = []
    for error in exc.errors(include_url=False):
        pointer = "".join(f"/{part}" for part in error["loc"])
        message = "unknown key" if error["type"] == "extra_forbidden" else error["msg"]
        problems.append(Problem(rel, 0, f"{pointer or '/'}: {message}"))
    return problems
