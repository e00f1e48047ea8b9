from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from factory_os import __version__
from tests.helpers import fos, resolve_command

FOS = Path(sys.executable).parent / "fos"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)


def test_python_dash_m_and_the_console_script_print_the_version(tmp_path: Path) -> None:
    for command in ([sys.executable, "-m", "factory_os"], [str(FOS)]):
        proc = run(*command, "--version", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == f"fos, version {__version__}\n"


def test_the_console_script_runs_a_command(repo: Path) -> None:
    proc = run(str(FOS), "init", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    proc = run(str(FOS), "-C", str(repo), "validate", "--format", "json", cwd=repo.parent)
    assert proc.returncode == 0, proc.stderr
    assert '"ok": true' in proc.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("no-such-command",),
        ("validate", "--no-such-option"),
        ("validate", "--format", "xml"),
        ("init", "--pack"),
    ],
)
def test_usage_errors_exit_2(repo: Path, args: tuple[str, ...]) -> None:
    result = fos(repo, *args)
    assert result.code == 2
    assert "Error:" in result.err
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("chek", "Did you mean 'check'?"),
        ("ru", "Did you mean one of: 'run', 'rule'?"),
        ("xyzzy", "(`fos --help` lists the commands)"),
    ],
)
def test_an_unknown_command_suggests_the_nearest(tmp_path: Path, typed: str, hint: str) -> None:
    result = fos(tmp_path, typed, "--staged")
    assert result.code == 2
    assert f"Error: No such command '{typed}'. {hint}" in result.err


def test_an_unknown_subcommand_suggests_the_nearest(tmp_path: Path) -> None:
    result = fos(tmp_path, "rule", "retrie", "R-abcdef")
    assert result.code == 2 and "Did you mean 'retire'?" in result.err


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = fos(tmp_path, "--help")
    assert result.code == 0
    for command in ("init", "validate", "schemas"):
        assert f"  {command} " in result.out


MAIN_COMMANDS = (
    "check",
    "context",
    "init",
    "rule",
    "incident",
    "verify",
    "guard",
    "session",
    "approve",
    "ledger",
)


@pytest.mark.parametrize("name", MAIN_COMMANDS)
def test_the_main_commands_help_ends_with_examples_that_parse(tmp_path: Path, name: str) -> None:
    result = fos(tmp_path, name, "--help")
    assert result.code == 0
    head, marker, section = result.out.partition("\n  Examples:\n")
    assert marker and "Options:" in head, result.out
    examples = section.replace("\\\n", " ").splitlines()
    assert len(examples) >= 2 and all(line.startswith("    ") for line in examples)
    for line in examples:
        words = shlex.split(line.split(" < ")[0].split(" > ")[0], comments=True)
        if words[0] == "fos":
            command, options = resolve_command(words[1:])
            assert command.name == name or name in line.split()[1], line
            known = {opt for param in command.params for opt in param.opts}
            assert set(options) <= known, f"{line}: {sorted(set(options) - known)}"


def test_not_a_git_repository_exits_4(tmp_path: Path) -> None:
    result = fos(tmp_path, "validate")
    assert result.code == 4
    assert result.err == (
        f"fos: {tmp_path.resolve()} is not inside a git work tree"
        " (run `git init` first, or pass -C DIR)\n"
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="needs to give the repository to another user")
def test_a_repository_git_refuses_says_why(repo: Path) -> None:
    for path in [repo, *repo.rglob("*")]:
        os.lchown(path, 54321, 54321)
    result = fos(repo, "init")
    assert result.code == 4
    assert "dubious ownership" in result.err
    assert not (repo / ".factory").exists()


def test_a_missing_directory_exits_4(tmp_path: Path) -> None:
    result = fos(tmp_path / "nowhere", "validate")
    assert result.code == 4
    assert "is not a directory" in result.err


def test_git_missing_exits_4(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-bin"))
    result = fos(repo, "validate")
    assert result.code == 4
    assert result.err == "fos: git is not installed or not on PATH\n"


def test_an_unexpected_error_is_one_line_pointing_at_debug(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from factory_os.commands import validate

    def broken(factory: object) -> None:
        raise KeyError("surprise")

    monkeypatch.setattr(validate, "validate_factory", broken)
    result = fos(factory_repo, "validate")
    assert result.code == 1
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert "KeyError" in result.err
    assert "--debug" in result.err
    assert "Traceback" not in result.err


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (OSError("disk on fire\nsecond line\nthird"), "OSError: disk on fire"),
        (RuntimeError(), "RuntimeError"),
    ],
)
def test_an_unexpected_error_with_a_long_message_is_still_one_line(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, shown: str
) -> None:
    from factory_os.commands import validate

    def broken(factory: object) -> None:
        raise error

    monkeypatch.setattr(validate, "validate_factory", broken)
    result = fos(factory_repo, "validate")
    assert result.code == 1
    assert result.err == (
        f"fos: unexpected error: {shown} (run again with --debug for the traceback)\n"
    )


def test_debug_shows_the_traceback(factory_repo: Path) -> None:
    program = (
        "import sys\n"
        "from factory_os.commands import validate\n"
        "def broken(factory):\n"
        "    raise KeyError('surprise')\n"
        "validate.validate_factory = broken\n"
        "from factory_os.__main__ import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    plain = run(sys.executable, "-c", program, "validate", cwd=factory_repo)
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert "--debug" in plain.stderr
    debug = run(sys.executable, "-c", program, "--debug", "validate", cwd=factory_repo)
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert "KeyError: 'surprise'" in debug.stderr
