"""Each vocabulary is defined once, and the models' types say the same words."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest

from factory_os.model import documents, factory, rule, vocabulary
from factory_os.rules import engine
from factory_os.work import runstate
from tests.helpers import fos


@pytest.mark.parametrize(
    ("literal", "words"),
    [
        (rule.RuleSeverity, vocabulary.RULE_SEVERITIES),
        (factory.RuleSeverity, vocabulary.RULE_SEVERITIES),
        (rule.RuleStatus, vocabulary.RULE_STATUSES),
        (rule.RuleStage, vocabulary.RULE_STAGES),
        (factory.RuleStage, vocabulary.RULE_STAGES),
        (documents.IncidentSeverity, vocabulary.INCIDENT_SEVERITIES),
    ],
)
def test_a_model_type_holds_its_vocabulary(literal: object, words: tuple[str, ...]) -> None:
    assert get_args(literal) == words


def test_rule_and_incident_severities_are_two_scales() -> None:
    assert not set(vocabulary.RULE_SEVERITIES) & set(vocabulary.INCIDENT_SEVERITIES)


def test_every_check_kind_has_a_checker_and_a_schema() -> None:
    from factory_os.model.rule import Rule

    options = get_args(Rule.model_fields["check"].annotation)
    kinds = {get_args(option.model_fields["kind"].annotation)[0] for option in options}
    assert kinds == set(vocabulary.CHECK_KINDS)
    assert set(engine.KINDS) | {"command"} == set(vocabulary.CHECK_KINDS)
    for kind in engine.KINDS:
        assert hasattr(engine.kind_module(kind), "check"), kind


def test_the_command_line_offers_the_vocabularies(tmp_path: Path) -> None:
    out = fos(tmp_path, "rule", "add", "--help").out
    for word in (*vocabulary.RULE_SEVERITIES, *vocabulary.CHECK_KINDS):
        assert word in out
    out = fos(tmp_path, "incident", "add", "--help").out
    assert all(word in out for word in vocabulary.INCIDENT_SEVERITIES)


def test_every_kind_the_package_records_is_a_ledger_kind() -> None:
    """Each `kind=` given to the ledger's writers, a string or a module's constant."""
    package = Path(vocabulary.__file__).parents[1]
    trees = {path.stem: ast.parse(path.read_text()) for path in package.rglob("*.py")}
    constants = {
        (module, target.id): node.value.value
        for module, tree in trees.items()
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name) and isinstance(node.value.value, str)
    }

    def kinds(module: str, value: ast.expr) -> list[str]:
        if isinstance(value, ast.Constant):
            return [value.value]
        if isinstance(value, ast.IfExp):
            return kinds(module, value.body) + kinds(module, value.orelse)
        if isinstance(value, ast.Name) and (module, value.id) in constants:
            return [constants[module, value.id]]
        if isinstance(value, ast.Attribute) and isinstance(value.value, ast.Name):
            return [constants[value.value.id, value.attr]]
        return []  # a variable: rungates' decisions, below

    written = {
        kind
        for module, tree in trees.items()
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in ("append", "record_file")
        for keyword in call.keywords
        if keyword.arg == "kind"
        for kind in kinds(module, keyword.value)
    }
    assert {"rule.added", "signoff", "escalation.opened", "session.started"} <= written
    assert sorted(written - set(vocabulary.LEDGER_KINDS)) == []
    assert sorted(runstate.KINDS - set(vocabulary.LEDGER_KINDS)) == []
