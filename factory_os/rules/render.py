"""Findings as text, JSON, SARIF 2.1.0, or GitHub workflow commands.

The JSON object is stable: {"ok", "stage", "changes", "rules", "blocking",
"findings": [{"rule_id", "severity", "message", "path", "line", "commit",
"member", "overridden"}]}; "overridden" is null, or the override that lifts the
finding: {"id", "granted_by", "justification", "expires_at"}. In SARIF such a
finding carries a suppression of kind "external". Paths are relative to the
factory root in text and JSON, and to the repository's root in SARIF and in
GitHub's annotations, which are read against the checkout.
"""

from __future__ import annotations

from factory_os import __version__
from factory_os.rules.report import Report

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from factory_os.rules.finding import Overridden
    from factory_os.rules.report import Described

FORMATS = ("text", "json", "sarif", "github")
SARIF_LEVELS = {"block": "error", "warn": "warning", "info": "note"}
SARIF_BASE = "%SRCROOT%"  # paths are relative to the checkout's root
SARIF_ROOT = "./"  # a finding about no file: the repository as a whole
GITHUB_COMMANDS = {"block": "error", "warn": "warning", "info": "notice"}


def render(report: Report, output_format: str, *, summary: bool = False) -> str:
    """REPORT in one of FORMATS. SUMMARY: a passing check's text ends with one line
    of what was checked (`fos check`; the git hooks stay quiet when all is well)."""
    if output_format == "text":
        return text(report, summary=summary)
    return {"json": as_json, "sarif": sarif, "github": github}[output_format](report)


def text(report: Report, *, summary: bool = False) -> str:
    lines = []
    for f in report.findings:
        where = f"{f.path}:{f.line}: " if f.path and f.line else f"{f.path}: " if f.path else ""
        commit = f" [{f.commit[:10]}]" if f.commit else ""
        severity = f"{f.severity}, overridden" if f.overridden else f.severity
        lines.append(f"{where}{severity}: {f.message} ({f.rule_id}){commit}")
        if f.overridden:
            lines.append(f"  {_overridden(f.overridden)}")
    blocking = len(report.blocking)
    if summary and not blocking:
        lines.append(passed(report))
    elif report.findings:
        tally = _count(len(report.findings), "finding")
        lifted = _lifted(report)
        overridden = f", {lifted} overridden" if lifted else ""
        lines.append(f"{tally} ({blocking} blocking{overridden}) at {report.stage}")
    return "\n".join(lines) + ("\n" if lines else "")


def _overridden(o: Overridden) -> str:
    return (
        f"overridden by {o.id}, granted by {o.granted_by} until {o.expires_at}: {o.justification}"
    )


def _lifted(report: Report) -> int:
    """How many of REPORT's findings an override lifts."""
    return sum(1 for f in report.findings if f.overridden)


def passed(report: Report) -> str:
    """One line: what a passing check looked at."""
    if not report.commits and not report.files:
        return f"ok at {report.stage}: nothing to check"
    findings = _count(len(report.findings), "finding") if report.findings else "no findings"
    lifted = _lifted(report)
    if lifted:
        findings += f" ({lifted} overridden)"
    return (
        f"ok at {report.stage}: {_count(len(report.commits), 'commit')},"
        f" {_count(report.files, 'file')}, {_count(report.rules, 'rule')}, {findings}"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def as_json(report: Report) -> str:
    body = {
        "ok": not report.blocking,
        "stage": report.stage,
        "changes": report.changes,
        "rules": report.rules,
        "blocking": len(report.blocking),
        "findings": [f.as_json() for f in report.findings],
    }
    import json  # here, not at the top: the hooks print text

    return json.dumps(body, indent=2) + "\n"


def sarif(report: Report) -> str:
    """SARIF 2.1.0: each rule with its title and statement, each result with a location
    (a finding about no file points at its rule's file, or at the repository root)."""
    from urllib.parse import quote  # SARIF only: off the hook path

    rule_ids = sorted({f.rule_id for f in report.findings})
    files = {rule.id: rule for rule in report.described}
    words = {rule_id: _words(rule_id, files) for rule_id in rule_ids}
    descriptors = [
        {
            "id": rule_id,
            "name": rule_id,
            "shortDescription": {"text": words[rule_id][0]},
            "fullDescription": {"text": words[rule_id][1]},
        }
        for rule_id in rule_ids
    ]
    results = []
    for f in report.findings:
        title, statement = words[f.rule_id]
        rule = files.get(f.rule_id)
        path = f.path or (rule.source if rule is not None else None)
        path = report.prefix + path if path else None
        # a URI reference (RFC 3986): a space or `#` in a path must be percent-encoded
        artifact = {"uri": quote(path, safe="/") if path else SARIF_ROOT, "uriBaseId": SARIF_BASE}
        location: dict[str, Any] = {"artifactLocation": artifact}
        if f.path and f.line:
            location["region"] = {"startLine": f.line}
        result: dict[str, Any] = {
            "ruleId": f.rule_id,
            "ruleIndex": rule_ids.index(f.rule_id),
            "level": SARIF_LEVELS.get(f.severity, "note"),
            "message": {"text": f"{f.message}\n{f.rule_id} ({title}): {statement}"},
            "locations": [{"physicalLocation": location}],
        }
        properties = {k: v for k, v in (("commit", f.commit), ("member", f.member)) if v}
        if properties:
            result["properties"] = properties
        if f.overridden:
            result["suppressions"] = [_suppression(f.overridden)]
        results.append(result)
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "factory-os",
                        "version": __version__,
                        "informationUri": "https://github.com/factory-os/factory-os",
                        "rules": descriptors,
                    }
                },
                "results": results,
            }
        ],
    }
    import json

    return json.dumps(log, indent=2) + "\n"


def _suppression(o: Overridden) -> dict[str, Any]:
    """An override as SARIF says a result was suppressed: outside the code (on the
    ledger), accepted, with its justification, granter and expiry."""
    return {
        "kind": "external",
        "status": "accepted",
        "justification": o.justification,
        "properties": {"override": o.id, "grantedBy": o.granted_by, "expiresAt": o.expires_at},
    }


def _words(rule_id: str, files: Mapping[str, Described]) -> tuple[str, str]:
    """RULE_ID's title and statement: from its rule file, or from the built-in checks."""
    rule = files.get(rule_id)
    if rule is not None:
        return rule.title, rule.statement
    from factory_os.rules.builtin import described

    return described(rule_id)


def github(report: Report) -> str:
    """Workflow commands: GitHub shows each as an annotation on the pull request."""
    lines = []
    for f in report.findings:
        params = []
        if f.path:
            params.append(f"file={_escape_property(report.prefix + f.path)}")
            if f.line:
                params.append(f"line={f.line}")
        params.append(f"title={_escape_property(f.rule_id)}")
        commit = f" (commit {f.commit[:10]})" if f.commit else ""
        command = GITHUB_COMMANDS.get(f.severity, "notice")
        message = f.message + commit
        if f.overridden:  # lifted: no longer an error on the pull request
            command = "notice"
            message += f"; {_overridden(f.overridden)}"
        lines.append(f"::{command} {','.join(params)}::{_escape_data(message)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")
