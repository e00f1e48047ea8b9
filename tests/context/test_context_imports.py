"""`fos context` without a factory run loads none of the runs' modules: it runs at every
session start, and what it imports is most of what it costs once its cache is warm."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = (
    "import sys\n"
    "from factory_os.__main__ import main\n"
    "code = main(['context'])\n"
    "runs = ('runview', 'runindex', 'runtally', 'runstate')\n"
    "print('loaded:', [m for m in runs if 'factory_os.work.' + m in sys.modules])\n"
    "sys.exit(code)\n"
)


def test_context_without_a_run_loads_no_run_module(factory_repo: Path) -> None:
    command = [sys.executable, "-c", SCRIPT]
    proc = subprocess.run(command, cwd=factory_repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "loaded: []"


WORK_ITEMS = (
    "import sys\n"
    "from factory_os.__main__ import main\n"
    "code = main(sys.argv[1:])\n"
    "items = ('status', 'gates', 'evidence', 'items')\n"
    "print('loaded:', [m for m in items if 'factory_os.work.' + m in sys.modules])\n"
    "sys.exit(code)\n"
)


def test_context_for_a_role_loads_no_work_item_module(factory_repo: Path) -> None:
    """What a member owes the work items is shown only with --member: without it, the
    modules that replay the work items are not even imported."""
    for args in (["context"], ["context", "--role", "builder", "--paths", "src/**"]):
        command = [sys.executable, "-c", WORK_ITEMS, *args]
        proc = subprocess.run(
            command, cwd=factory_repo, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.splitlines()[-1] == "loaded: []"
