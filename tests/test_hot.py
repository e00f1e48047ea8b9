"""The hook path stays light: nothing heavy is imported (DESIGN section 7)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.checks_helpers import add_rule
from tests.helpers import commit_all, git, write_tree

HEAVY = ("click", "pydantic", "jsonschema", "ruamel", "git", "pathspec")
# standard modules that cost the hook milliseconds and that it does without:
# typing (factory_os.records stands in for NamedTuple), subprocess (git runs
# through posix_spawn), json (the cache is marshal; only JSON output needs it),
# hashlib (loading OpenSSL; git hashes what the hook compares)
SLOW_STDLIB = ("typing", "subprocess", "json", "tempfile", "threading", "dataclasses", "hashlib")
# and what the commit hooks do without too: pathlib (which loads urllib.parse and
# ipaddress; the hook path works in strings), the enums of signal and re, and RE2
# while no scope needs it (plain globs, as every scope of the core pack, do not)
UNUSED_STDLIB = ("pathlib", "urllib", "ipaddress", "fnmatch", "ntpath", "signal", "re", "enum")
UNUSED = (*UNUSED_STDLIB, "re2")
# modules of ours that the commit hooks load only for a change that calls for them:
# a revision range, a Factory-Member trailer, a command rule, a bot, a rule to compile
# or a glob to translate, a changed ledger segment (and the checks of a role limit,
# for a member holding a limited role)
NOT_ON_THE_HOOK_PATH = (
    "factory_os.git.revrange",
    "factory_os.rules.actor",
    "factory_os.rules.command",
    "factory_os.rules.bots",
    "factory_os.rules.roles_cannot",
    "factory_os.rules.compile",
    "factory_os.globs",
    "factory_os.ledger.growth",
)


def _modules(repo: Path, *args: str) -> set[str]:
    """Every module `python -m factory_os ARGS` imports in REPO."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "factory_os", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    return {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}


def _imported(repo: Path, *args: str) -> set[str]:
    """The top-level packages `fos ARGS` imports."""
    return {name.split(".")[0] for name in _modules(repo, *args)}


@pytest.mark.parametrize("args", [["check", "--staged"], ["check", "--format", "json"]])
def test_check_staged_imports_nothing_heavy(factory_repo: Path, args: list[str]) -> None:
    write_tree(factory_repo, {"a.txt": "x\n"})
    git(factory_repo, "add", "a.txt")
    subprocess.run([sys.executable, "-m", "factory_os", "check"], cwd=factory_repo, check=False)
    imported = _imported(factory_repo, *args)  # second run: the compiled cache is warm
    assert "factory_os" in imported
    assert not imported & set(HEAVY), imported & set(HEAVY)


def test_commit_msg_hook_imports_nothing_heavy(factory_repo: Path) -> None:
    (factory_repo / "MSG").write_text("subject\n")
    subprocess.run([sys.executable, "-m", "factory_os", "check"], cwd=factory_repo, check=False)
    imported = _imported(factory_repo, "hook-impl", "--hook-type=commit-msg", "--", "MSG")
    assert not imported & set(HEAVY), imported & set(HEAVY)


@pytest.mark.parametrize(
    "args",
    [["check", "--staged"], ["hook-impl", "--hook-type=pre-commit", "--"]],
)
def test_the_pre_commit_path_does_without_slow_standard_modules(
    factory_repo: Path, args: list[str]
) -> None:
    write_tree(factory_repo, {"a.txt": "x\n"})
    git(factory_repo, "add", "a.txt")
    subprocess.run([sys.executable, "-m", "factory_os", "check"], cwd=factory_repo, check=False)
    modules = _modules(factory_repo, *args)
    imported = {name.split(".")[0] for name in modules}
    assert "factory_os" in imported
    unwanted = {*SLOW_STDLIB, *UNUSED}
    assert not imported & unwanted, imported & unwanted
    assert not modules & set(NOT_ON_THE_HOOK_PATH), modules & set(NOT_ON_THE_HOOK_PATH)


@pytest.mark.parametrize(
    ("scope", "loaded"),
    [
        ({"paths": ["src/**/*.py"], "exclude": ["*_test.py"]}, False),
        ({"paths": ["src/?.py"]}, True),
    ],
)
def test_re2_is_loaded_only_for_a_scope_that_needs_it(
    factory_repo: Path, scope: dict[str, list[str]], loaded: bool
) -> None:
    check = {"kind": "forbidden-pattern", "pattern": "AKIA[0-9A-Z]{16}"}
    add_rule(factory_repo, "R-abc123", check, scope=scope)
    commit_all(factory_repo, "rule")
    write_tree(factory_repo, {"src/a.py": "clean = 1\n"})
    git(factory_repo, "add", "-A")
    subprocess.run([sys.executable, "-m", "factory_os", "check"], cwd=factory_repo, check=False)
    assert ("re2" in _imported(factory_repo, "check", "--staged")) is loaded


def test_anything_else_goes_to_the_full_cli(factory_repo: Path) -> None:
    assert "click" in _imported(factory_repo, "check", "--help")


def test_reading_the_overrides_again_does_without_slow_standard_modules(
    factory_repo: Path,
) -> None:
    from factory_os.ledger.line import encode

    data = {"id": "OVR-0a0a0a", "rule": "R-5ec4e7", "scope": "paths", "targets": ["src/**"],
            "justification": "x", "granted_by": "ana",
            "expires_at": "2999-01-01T00:00:00Z"}  # fmt: skip
    fields = {"v": 1, "kind": "override.granted", "at": "2026-12-01T09:00:00Z", "actor": "ana",
              "subject": "R-5ec4e7", "refs": [], "parents": [], "data": data}  # fmt: skip
    (factory_repo / ".factory" / "ledger" / "0000000000000001.jsonl").write_bytes(encode(fields)[1])
    git(factory_repo, "add", "-A")
    code = (
        "import sys; from pathlib import Path; from factory_os.work import override_index as r;"
        "found = r.in_index(Path('.'), Path('.git')).grouped;"
        "print(len(found), *sorted(m.split('.')[0] for m in sys.modules))"
    )
    first = subprocess.run([sys.executable, "-c", code], cwd=factory_repo, capture_output=True,
                           text=True, check=True).stdout.split()  # fmt: skip
    again = subprocess.run([sys.executable, "-c", code], cwd=factory_repo, capture_output=True,
                           text=True, check=True).stdout.split()  # fmt: skip
    assert first[0] == again[0] == "1"
    assert "json" in first  # the new line was parsed once
    assert not set(again) & {*HEAVY, *SLOW_STDLIB}, set(again) & {*HEAVY, *SLOW_STDLIB}


OVERRIDE_MODULES = {
    "factory_os.rules.overrides",
    "factory_os.work.override_records",
    "factory_os.work.override_index",
    "factory_os.clock",
}


def test_overrides_cost_the_hook_nothing_without_them_and_little_with_them(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.commands.test_check_overrides import grant, stage_secret
    from tests.governance import secret_rule

    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    rule = secret_rule(team_repo)
    stage_secret(team_repo)
    subprocess.run([sys.executable, "-m", "factory_os", "check"], cwd=team_repo, check=False)
    imported = _imported(team_repo, "check", "--staged")  # a finding, and no override
    assert not imported & {"datetime", "pathspec", "json"}, imported
    git(team_repo, "reset", "-q", "--hard")
    grant(team_repo, "ana", rule, "--paths", "src/**")
    stage_secret(team_repo)
    subprocess.run([sys.executable, "-m", "factory_os", "check"], cwd=team_repo, check=False)
    modules = _modules(team_repo, "check", "--staged")  # the override replayed before
    assert "factory_os.work.override_index" in modules  # it was judged
    imported = {name.split(".")[0] for name in modules}
    assert not imported & {"datetime", "pathspec", "json", *SLOW_STDLIB, *UNUSED_STDLIB}, imported


def test_no_override_is_read_when_no_finding_blocks(
    team_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.commands.test_check_overrides import grant, stage_secret
    from tests.governance import add_rule

    monkeypatch.setenv("FOS_NOW", "2026-12-01T09:00:00Z")
    rule = add_rule(team_repo, "--kind", "forbidden-pattern", "--pattern", "SECRET",
                    "--path", "src/**", "--severity", "warn")  # fmt: skip
    grant(team_repo, "ana", rule, "--paths", "src/**")
    stage_secret(team_repo)  # a finding that does not block, which the override covers
    subprocess.run([sys.executable, "-m", "factory_os", "check"], cwd=team_repo, check=False)
    modules = _modules(team_repo, "check", "--staged")
    assert "factory_os.integrations.checks" in modules
    assert not modules & OVERRIDE_MODULES, modules & OVERRIDE_MODULES
