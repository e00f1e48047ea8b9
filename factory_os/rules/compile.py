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


def required_literal(pattern: str) -> str:
    """A piece of text every match of PATTERN contains ("" when none is known).

    Lines without it cannot match, so the hook path need not even load RE2 for
    them. Taken from the longest run of plain characters at the top level of the
    pattern, as Python's own parser reads it; any doubt gives "".
    """
    import importlib

    c: Any = importlib.import_module("re._constants")
    parser: Any = importlib.import_module("re._parser")

    try:
        parsed = parser.parse(pattern)
    except Exception:  # RE2 syntax Python does not read: no shortcut
        return ""
    if parsed.state.flags & (c.SRE_FLAG_IGNORECASE | c.SRE_FLAG_VERBOSE):
        return ""
    best, run = "", ""
    for op, value in parsed.data:
        if op is c.LITERAL:
            run += chr(value)
            best = max(best, run, key=len)
        else:
            run = ""
    return best


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
            "origin",
            "stages",
            "check",
        },
    )
    compiled["roles"] = list(rule.scope.roles)
    compiled["paths"] = translate(rule.scope.paths)
    compiled["exclude"] = translate(rule.scope.exclude)
    compiled["prefixes"] = literal_prefixes(rule.scope.paths) if rule.scope.paths else None
    if compiled["check"]["kind"] == "forbidden-pattern":
        compiled["check"]["literal"] = required_literal(compiled["check"].get("pattern") or "")
    return compiled
