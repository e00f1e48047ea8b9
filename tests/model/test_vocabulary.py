"""Each vocabulary is defined once, and the models' types say the same words."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from factory_os.model import documents, factory, rule, vocabulary
from factory_os.rules import engine
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
