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
TOUR = re.compile(r"^<!-- tour: [^>]*-->\n```sh\n(.*?)^```", re.M | re.S)
EXITS_1 = re.compile(r"\s+#\s*exits 1\b.*$")


def tour_blocks(text: str) -> list[str]:
    return [match.group(1) for match in TOUR.finditer(text)]


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
            if words[:1] != ["fos"]:
                continue
            command, options = resolve_command(words[1:])
            assert not isinstance(command, click.Group), line
            known = {opt for param in command.params for opt in param.opts}
            assert set(options) <= known, f"{line}: {sorted(set(options) - known)}"
            checked += 1
    assert checked >= 50


def test_the_tour_is_marked_and_expects_its_refusals() -> None:
    [block] = tour_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    script = as_script(block)
    assert "fos guard --path src/paylane/money.py" in script
    assert script.count("[ $rc -eq 1 ]") == block.count("# exits 1")
    assert "--member" not in block and "FOS_ACTOR" not in block


@pytest.mark.slow
def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    project = tmp_path / "factory-os"
    project.mkdir()
    shutil.copytree(ROOT / "example-repo", project / "example-repo")
    [block] = tour_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
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
    assert "refused by R-core-ceo-never-writes-code" in proc.stderr
    assert proc.stdout.rstrip().endswith("no findings"), output[-3000:]
