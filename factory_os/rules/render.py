"""Findings as text, JSON, SARIF 2.1.0, or GitHub workflow commands.

The JSON object is stable: {"ok", "stage", "changes", "rules", "blocking",
"findings": [{"rule_id", "severity", "message", "path", "line", "commit",
"member", "overridden"}]}; "overridden" is null, or the override that lifts the
finding: {"id", "granted_by", "justification", "expires_at"}. In SARIF such a
finding carries a suppression of kind "external". Paths are relative to the
factory root.
"""

from __future__ import annotations

from factory_os import __version__
from factory_os.rules.finding import Finding, Overridden
from factory_os.rules.report import Report

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

FORMATS = ("text", "json", "sarif", "github")
SARIF_LEVELS = {"block": "error", "warn": "warning", "info": "note"}
SARIF_BASE = "%SRCROOT%"  # paths are relative to the checkout's root
GITHUB_COMMANDS = {"block": "error", "warn": "warning", "info": "notice"}


def render(report: Report, output_format: str) -> str:
    """REPORT in one of FORMATS."""
    return {"text": text, "json": as_json, "sarif": sarif, "github": github}[output_format](report)


def text(report: Report) -> str:
    lines = []
    for f in report.findings:
        where = f"{f.path}:{f.line}: " if f.path and f.line else f"{f.path}: " if f.path else ""
        commit = f" [{f.commit[:10]}]" if f.commit else ""
        severity = f"{f.severity}, overridden" if f.overridden else f.severity
        lines.append(f"{where}{severity}: {f.message} ({f.rule_id}){commit}")
        if f.overridden:
            lines.append(f"  {_overridden(f.overridden)}")
    blocking = len(report.blocking)
    lifted = sum(1 for f in report.findings if f.overridden)
    if report.findings:
        lines.append(
            f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''}"
            f" ({blocking} blocking{f', {lifted} overridden' if lifted else ''})"
            f" at {report.stage}"
        )
    return "\n".join(lines) + ("\n" if lines else "")


def _overridden(o: Overridden) -> str:
    return (
        f"overridden by {o.id}, granted by {o.granted_by} until {o.expires_at}: {o.justification}"
    )


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
    rule_ids = sorted({f.rule_id for f in report.findings})
    results = [_sarif_result(f, rule_ids.index(f.rule_id)) for f in report.findings]
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
                        "rules": [{"id": rule_id} for rule_id in rule_ids],
                    }
                },
                "results": results,
            }
        ],
    }
    import json

    return json.dumps(log, indent=2) + "\n"


def _sarif_result(f: Finding, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": index,
        "level": SARIF_LEVELS.get(f.severity, "note"),
        "message": {"text": f.message},
    }
    if f.path:
        from urllib.parse import quote  # SARIF only: off the hook path

        # a URI reference (RFC 3986): a space or `#` in a path must be percent-encoded
        artifact = {"uri": quote(f.path, safe="/"), "uriBaseId": SARIF_BASE}
        location: dict[str, Any] = {"artifactLocation": artifact}
        if f.line:
            location["region"] = {"startLine": f.line}
        result["locations"] = [{"physicalLocation": location}]
    properties = {k: v for k, v in (("commit", f.commit), ("member", f.member)) if v}
    if properties:
        result["properties"] = properties
    if f.overridden:
        o = f.overridden
        # lifted outside the code, on the ledger: who granted it and until when
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": o.justification,
                "properties": {
                    "override": o.id,
                    "grantedBy": o.granted_by,
                    "expiresAt": o.expires_at,
                },
            }
        ]
    return result


def github(report: Report) -> str:
    """Workflow commands: GitHub shows each as an annotation on the pull request."""
    lines = []
    for f in report.findings:
        params = []
        if f.path:
            params.append(f"file={_escape_property(f.path)}")
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
