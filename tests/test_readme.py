"""The README's tour runs as written, so that it cannot drift from what `fos` does.

Each fenced block after a `<!-- tour: ... -->` line is run by bash from a copy of
the repository root holding the worked example, with `fos` on PATH. A command
whose comment says `exits 1` must exit 1 (a refusal); every other one must pass.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from tests.helpers import resolve_command

ROOT = Path(__file__).resolve().parent.parent
TOUR = re.compile(r"^<!-- tour: ([^>]*)-->\n```sh\n(.*?)^```", re.M | re.S)
EXITS_1 = re.compile(r"\s+#\s*exits 1\b.*$")


def tour_blocks(text: str) -> dict[str, str]:
    """The marked blocks of TEXT by name: the first word of their marker
    (`<!-- tour: lifecycle, run from ... -->`), or "tour" when it names none."""
    blocks = {}
    for match in TOUR.finditer(text):
        marker = match.group(1).strip()
        name = marker.split(",")[0] if "," in marker else "tour"
        blocks[name] = match.group(2)
    return blocks


def as_script(block: str) -> str:
    """BLOCK for `bash -e`: continued lines joined, `exits 1` lines made to expect it."""
    lines = ["set -euo pipefail"]
    pending = ""
    for line in block.splitlines():
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line, pending = pending + line, ""
        refusal = EXITS_1.search(line)
        if refusal is not None:
            command = line[: refusal.start()]
            line = (
                f"rc=0; {command} || rc=$?; [ $rc -eq 1 ] ||"
                f" {{ echo {_quote('expected exit 1: ' + command.strip())} >&2; exit 1; }}"
            )
        lines.append(line)
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def test_every_fos_command_in_the_readme_exists_with_its_options() -> None:
    """The blocks the tour test does not run (they need files and ids of their own) still
    name real commands and options."""
    blocks = re.findall(r"^```sh\n(.*?)^```", (ROOT / "README.md").read_text(), re.M | re.S)
    checked = 0
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line.replace("[", "").replace("]", ""), comments=True)
            while words and re.match(r"[A-Z_]+=", words[0]):
                words = words[1:]  # VAR=value fos ...
            if words[1:2] == ["fos"] and re.fullmatch(r"[a-z]+", words[0]):
                words = words[1:]  # ben fos ...: a shell function setting the identity
            if words[:1] != ["fos"]:
                continue
            command, options = resolve_command(words[1:])
            assert not isinstance(command, click.Group), line
            known = {opt for param in command.params for opt in param.opts}
            assert set(options) <= known, f"{line}: {sorted(set(options) - known)}"
            checked += 1
    assert checked >= 50


def test_the_tour_is_marked_and_expects_its_refusals() -> None:
    block = tour_blocks((ROOT / "README.md").read_text(encoding="utf-8"))["tour"]
    script = as_script(block)
    assert "fos guard --path src/paylane/money.py" in script
    assert script.count("[ $rc -eq 1 ]") == block.count("# exits 1")
    assert "--member" not in block and "FOS_ACTOR" not in block


def run_block(block: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """BLOCK run by bash from a copy of the repository root holding the worked example;
    it must pass, and show no traceback."""
    project = tmp_path / "factory-os"
    project.mkdir()
    shutil.copytree(ROOT / "example-repo", project / "example-repo")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", "-c", as_script(block)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "unexpected error" not in output and "Traceback" not in output
    return proc


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    block = tour_blocks((ROOT / "README.md").read_text(encoding="utf-8"))["tour"]
    proc = run_block(block, tmp_path)
    assert "refused by R-core-ceo-never-writes-code" in proc.stderr
    assert proc.stdout.rstrip().endswith("no findings"), proc.stdout[-3000:]


def test_the_lifecycle_walk_is_marked_and_takes_no_placeholder_id() -> None:
    block = tour_blocks((ROOT / "README.md").read_text(encoding="utf-8"))["lifecycle"]
    assert "ID=$(fos spec new " in block
    assert not re.search(r"SP-[0-9a-f]{6}\b(?!/)", block.replace("SP-e7ac9a", ""))
    assert as_script(block).count("[ $rc -eq 1 ]") == block.count("# exits 1") >= 2
    assert "--actor" not in block and "FOS_ACTOR" not in block


@pytest.mark.slow
def test_the_readme_lifecycle_walk_takes_an_agent_from_intake_to_launch(tmp_path: Path) -> None:
    """A new user's walk: every member acts and commits under their own git identity,
    the refusals on the way name their rule and who can unblock them, and the
    pull-request check of the whole walk finds nothing."""
    block = tour_blocks((ROOT / "README.md").read_text(encoding="utf-8"))["lifecycle"]
    proc = run_block(block, tmp_path)
    # the first advance: each open line of the checklist with its rule and its member
    assert "not recorded (intake.md)  [ana]  fos:lifecycle-evidence" in proc.stdout
    # the builder signing its own eval as reviewer: the rule, and who can change it
    refusal = [line for line in proc.stderr.splitlines() if "cannot sign as reviewer" in line]
    assert refusal and "fos:lifecycle-separation-of-duties" in refusal[0], proc.stderr
    assert "the owner (ana)" in refusal[0], refusal
    assert re.search(r"SP-[0-9a-f]{6}\s+maintain\s+live\s+Dispute summariser", proc.stdout)
    assert "14 commits" in proc.stdout and "no findings" in proc.stdout, proc.stdout[-3000:]
    assert "ledger intact" in proc.stdout
