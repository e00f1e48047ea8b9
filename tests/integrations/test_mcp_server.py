from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest

from tests.documents import write_note, write_rule
from tests.helpers import commit_all, fos

mcp = pytest.importorskip("mcp")
from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402


def _is_error(result: Any) -> bool:
    return bool(getattr(result, "is_error", None) or getattr(result, "isError", None))


def _text(result: Any) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def _session_calls(repo: Path, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    env = {k: os.environ[k] for k in ("HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "PATH")}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "factory_os", "-C", str(repo), "mcp"], env=env
    )
    results = []
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        results.append(sorted(tool.name for tool in tools.tools))
        for name, arguments in calls:
            results.append(await session.call_tool(name, arguments))
    return results


@pytest.mark.slow
def test_client_round_trip_over_stdio(factory_repo: Path) -> None:
    write_rule(factory_repo, "R-aaaaaa", roles=("builder",), statement="Run the tests.")
    write_note(factory_repo, "api", paths=("src/api/**",), body="The API speaks JSON.\n")
    team = factory_repo / ".factory" / "team.yaml"
    team.write_text(
        team.read_text() + "  - id: carla\n    name: Carla\n    kind: human\n"
        "    roles: [ceo]\n    emails: [carla@example.com]\n"
    )
    commit_all(factory_repo, "carla joins as ceo")
    calls: list[tuple[str, dict[str, Any]]] = [
        ("get_context", {"role": "builder", "paths": ["src/api/x.py"], "format": "json"}),
        ("get_context", {"role": "builder", "paths": ["src/api/x.py"]}),
        ("list_rules", {"role": "quality"}),
        ("show", {"id": "R-aaaaaa"}),
        ("show", {"id": "api"}),
        ("show", {"id": "D-ffffff"}),
        ("get_context", {"role": "nobody"}),
        ("record_incident", {"title": "Deployed on a Friday", "severity": "high",
                             "narrative": "## What happened\n\nIt broke.\n",
                             "actor": "bob@example.com"}),
        ("record_incident", {"title": "x", "severity": "apocalyptic"}),
        ("check_paths", {"paths": ["src/app.py"], "member": "carla"}),
        ("check_paths", {"paths": ["docs/plan.md"], "member": "carla"}),
    ]  # fmt: skip
    (
        tools, as_json, markdown, rules, rule, note, missing, bad_role, incident, bad_severity,
        refused, allowed,
    ) = anyio.run(_session_calls, factory_repo, calls)  # fmt: skip
    assert {"get_context", "list_rules", "show", "check_paths", "record_incident"} <= set(tools)
    bundle = json.loads(_text(as_json))
    cli = json.loads(
        fos(factory_repo, "context", "--role", "builder", "--paths", "src/api/x.py",
            "--format", "json").out
    )  # fmt: skip
    assert bundle == cli
    assert _text(markdown) == cli["text"]
    ids = [r["id"] for r in json.loads(_text(rules))["rules"]]
    assert "R-core-quality-only-reports" in ids and "R-aaaaaa" not in ids
    assert "statement: Run the tests." in _text(rule)
    assert "The API speaks JSON." in _text(note)
    assert _is_error(missing) and "no decision D-ffffff" in _text(missing)
    assert _is_error(bad_role) and "unknown role 'nobody'" in _text(bad_role)
    incident_id = _text(incident)
    shown = fos(factory_repo, "incident", "show", incident_id)
    assert shown.code == 0 and "Deployed on a Friday" in shown.out and "It broke." in shown.out
    assert _is_error(bad_severity) and "severity must be one of" in _text(bad_severity)
    verdict = json.loads(_text(refused))
    assert verdict["allowed"] is False
    assert [f["rule_id"] for f in verdict["findings"]] == ["R-core-ceo-never-writes-code"]
    assert json.loads(_text(allowed)) == {"allowed": True, "findings": []}
    # recorded with its ledger entry (the test's hand-written rule is not, on purpose)
    assert incident_id not in fos(factory_repo, "verify").out
    assert incident_id in fos(factory_repo, "ledger", "log").out


def test_outside_a_factory_fails_plainly(repo: Path) -> None:
    result = fos(repo, "mcp")
    assert result.code == 4 and "fos init" in result.err


def test_without_the_sdk_the_error_says_what_to_install(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("mcp", "mcp.server", "mcp.server.mcpserver", "mcp.server.fastmcp"):
        monkeypatch.setitem(sys.modules, name, None)
    result = fos(factory_repo, "mcp")
    assert result.code == 4
    assert (
        result.err == "fos: the MCP server needs the mcp package: pip install 'factory-os[mcp]'\n"
    )


@pytest.mark.slow
def test_an_agent_opens_and_closes_its_session_and_leaves_knowledge(factory_repo: Path) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("session_start", {"role": "builder", "paths": ["src/api/x.py"],
                           "actor": "bob@example.com"}),
        ("add_knowledge", {"title": "Refunds are split by the ledger", "tags": ["money"],
                           "paths": ["src/money/**"], "body": "Never by hand.\n",
                           "review_by": "2027-01-01", "actor": "bob@example.com"}),
        ("add_knowledge", {"title": "x", "review_by": "soon"}),
        ("session_end", {"session": "S-00000000000000", "done": ["nothing"]}),
    ]  # fmt: skip
    tools, started, note, bad_date, unknown = anyio.run(_session_calls, factory_repo, calls)
    assert {"session_start", "session_end", "add_knowledge"} <= set(tools)
    opened = json.loads(_text(started))
    session = opened["session"]
    cli = json.loads(
        fos(factory_repo, "context", "--role", "builder", "--paths", "src/api/x.py",
            "--format", "json").out
    )  # fmt: skip
    assert opened["context"] == cli and opened["manifest_hash"] == cli["manifest"]["hash"]
    log = json.loads(fos(factory_repo, "ledger", "log", "--format", "json").out)["entries"]
    [entry] = [e for e in log if e["kind"] == "session.started"]
    assert entry["subject"] == session and entry["actor"] == "bob@example.com"
    assert entry["data"]["manifest_hash"] == opened["manifest_hash"]
    assert _text(note) == ".factory/knowledge/refunds-are-split-by-the-ledger.md"
    shown = fos(factory_repo, "knowledge", "show", "refunds-are-split-by-the-ledger")
    assert shown.code == 0 and "Never by hand." in shown.out
    assert _is_error(bad_date) and "YYYY-MM-DD" in _text(bad_date)
    assert _is_error(unknown) and "no session S-00000000000000" in _text(unknown)

    (ended,) = anyio.run(
        _session_calls,
        factory_repo,
        [("session_end", {"session": session, "done": ["Split refunds"], "next": ["Tests"],
                          "actor": "bob@example.com"})],
    )[1:]  # fmt: skip
    assert _text(ended) == f".factory/digests/{session}.md"
    digest = (factory_repo / _text(ended)).read_text()
    assert (
        f"manifest_hash: {opened['manifest_hash']}" in digest or opened["manifest_hash"] in digest
    )
    assert "## Done\n\n- Split refunds" in digest and "## Next\n\n- Tests" in digest
    assert session in fos(factory_repo, "context").out  # the next session is shown it
