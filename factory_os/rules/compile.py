"""Turning the factory's YAML documents into plain compiled data.

This is the slow side (ruamel.yaml, pydantic, pathspec) and runs only when a
document's blob is not in the cache yet. A document that does not validate
compiles to an `{"invalid": [...problems]}` entry, so the check can report it as
a finding instead of stopping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from factory_os import store
from factory_os.errors import InvalidInput
from factory_os.rules import role_refs
from factory_os.rules.role_refs import RoleRef
from factory_os.rules.scope import literal_prefixes, translate

KINDS = ("rule", "team", "roles", "config", "raci")
# the role names a document uses, found with `role_refs` and judged at check time
REFS: dict[str, Callable[[Mapping[str, Any]], list[RoleRef]]] = {
    "rule": role_refs.rule_refs,
    "team": role_refs.team_refs,
    "raci": role_refs.raci_refs,
}


def compile_document(kind: str, text: str, rel: str) -> dict[str, Any]:
    try:
        doc = store.parse_yaml(text, rel)
        if kind == "rule":
            compiled = _rule(doc)
        else:
            compiled = store.validate(_model(kind), doc).model_dump(mode="json")
    except InvalidInput as exc:
        return {"invalid": [[p.line, p.message] for p in exc.problems]}
    if kind in REFS:
        # as stored: [role, line, who, approver]
        refs = REFS[kind](doc.plain)  # validated: shaped as the model says
        compiled["role_refs"] = [[r.role, doc.line_of(r.loc), r.who, r.approver] for r in refs]
    if kind == "raci":
        compiled = {"role_refs": compiled["role_refs"]}  # all a check needs of it
    elif kind == "roles":
        compiled["cannot"] = _cannot(compiled, doc)
    elif kind == "team":
        for member in compiled["members"]:
            if member["paths"]:  # a bot's: matched at hook speed
                member["paths_re"] = translate(member["paths"])
    return compiled


def _cannot(roles: Mapping[str, Any], doc: store.YamlDocument) -> dict[str, Any]:
    """Each role's `cannot` paths, translated, with the line of each pattern."""
    out = {}
    for name, role in roles["roles"].items():
        translated, lines, shown = [], [], []
        for index, pattern in enumerate(role["cannot"]["paths"]):
            for regex in translate([pattern]):  # none for a comment or a blank
                translated.append(regex)
                lines.append(doc.line_of(("roles", name, "cannot", "paths", index)))
                shown.append(pattern)
        if translated:
            out[name] = {"paths": translated, "lines": lines, "patterns": shown}
    return out


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
    from factory_os.model.raci import Raci
    from factory_os.model.team import Roles, Team

    return {"team": Team, "roles": Roles, "config": FactoryConfig, "raci": Raci}[kind]


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
