"""Turning the factory's YAML documents into plain compiled data.

This is the slow side (ruamel.yaml, pydantic, pathspec) and runs only when a
document's blob is not in the cache yet. A document that does not validate
compiles to an `{"invalid": [...problems]}` entry, so the check can report it as
a finding instead of stopping.
"""

from __future__ import annotations

from typing import Any

from factory_os import store
from factory_os.errors import InvalidInput
from factory_os.rules.scope import literal_prefixes, translate

KINDS = ("rule", "team", "roles", "config")


def compile_document(kind: str, text: str, rel: str) -> dict[str, Any]:
    try:
        doc = store.parse_yaml(text, rel)
        if kind == "rule":
            return _rule(doc)
        model = _model(kind)
        dumped: dict[str, Any] = store.validate(model, doc).model_dump(mode="json")
        return dumped
    except InvalidInput as exc:
        return {"invalid": [[p.line, p.message] for p in exc.problems]}


def _model(kind: str) -> Any:
    from factory_os.model.factory import FactoryConfig
    from factory_os.model.team import Roles, Team

    return {"team": Team, "roles": Roles, "config": FactoryConfig}[kind]


def _rule(doc: store.YamlDocument) -> dict[str, Any]:
    from factory_os.model.rule import Rule

    rule = store.validate(Rule, doc)
    compiled = rule.model_dump(
        mode="json",
        include={
            "id",
            "title",
            "statement",
            "severity",
            "status",
            "superseded_by",
            "stages",
            "check",
        },
    )
    compiled["roles"] = list(rule.scope.roles)
    compiled["paths"] = translate(rule.scope.paths)
    compiled["exclude"] = translate(rule.scope.exclude)
    compiled["prefixes"] = literal_prefixes(rule.scope.paths) if rule.scope.paths else None
    return compiled
