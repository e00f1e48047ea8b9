"""The package map of docs/architecture.md, enforced: a layer imports only the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "factory_os"

# bottom to top; a module may import its own layer and any layer before it
LAYERS: list[set[str]] = [
    {"factory_os", "__init__", "errors", "records", "ids", "clock", "paths", "globs"},
    {"model"},
    {"git"},
    {"atomic", "store", "fastyaml"},
    {"ledger"},
    {"rules"},
    {"memory"},
    {"work"},
    {"context"},
    {"integrations"},
    {"commands"},
    {"cli", "hot", "__main__"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}
# the command line: the only layer that imports click
COMMAND_LINE = {"commands", "cli"}
# the only places that write to stdout: the command line, the hook fast path and the
# hook entry (the MCP server's stdio goes through its SDK, not through our code)
PRINTERS = {"commands", "cli", "hot"}
PRINTING_MODULES = {"factory_os.integrations.hookimpl"}
STDOUT_ATTRIBUTES = {
    ("sys", "stdout"),
    ("sys", "__stdout__"),
    ("click", "echo"),
    ("click", "secho"),
}


def _unit(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def _modules() -> list[tuple[str, Path]]:
    return [
        (".".join(("factory_os", *path.relative_to(PACKAGE).with_suffix("").parts)), path)
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda value: str(value))
def test_a_layer_imports_only_the_layers_below_it(module: str, path: Path) -> None:
    unit = _unit(module)
    assert unit in RANK, f"{module}: put its package in LAYERS and in docs/architecture.md"
    upward = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: imports {name}"
        for line, name in _imports(path)
        if name.startswith("factory_os.") and RANK.get(_unit(name), -1) > RANK[unit]
    ]
    assert not upward, "\n".join(upward)


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda value: str(value))
def test_only_the_command_line_layer_imports_click(module: str, path: Path) -> None:
    if _unit(module) in COMMAND_LINE:
        return
    assert not [name for _, name in _imports(path) if name.split(".")[0] == "click"], module


def _stdout_writes(source: str) -> list[int]:
    """The lines of SOURCE that write to stdout: print(), sys.stdout, click.echo."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            writes = node.func.id == "print"
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            writes = (node.value.id, node.attr) in STDOUT_ATTRIBUTES
        elif isinstance(node, ast.ImportFrom):
            writes = any((node.module, alias.name) in STDOUT_ATTRIBUTES for alias in node.names)
        else:
            writes = False
        if writes:
            found.add(node.lineno)
    return sorted(found)


def test_the_stdout_check_sees_each_way_of_writing() -> None:
    source = (
        "import sys, click\n"
        "print('x')\n"
        "sys.stdout.write('x')\n"
        "click.echo('x')\n"
        "from sys import stdout\n"
        "sys.stderr.write('fine')\n"
        "click.echo\n"
    )
    assert _stdout_writes(source) == [2, 3, 4, 5, 7]


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda value: str(value))
def test_only_the_command_line_and_the_hooks_write_to_stdout(module: str, path: Path) -> None:
    if _unit(module) in PRINTERS or module in PRINTING_MODULES:
        return
    lines = _stdout_writes(path.read_text(encoding="utf-8"))
    where = [f"{path.relative_to(PACKAGE.parent)}:{line}" for line in lines]
    assert not where, f"writes to stdout outside the command line: {', '.join(where)}"


# the functions of factory_os.git.plumbing (imported as `git`) that take a git command line
_RUNNERS = {"run", "run_all", "output", "try_output", "parallel"}


def _git_command_lines(path: Path) -> list[str]:
    """Where PATH builds a git command line: a list or tuple starting with "git", a
    literal argument list handed to a runner of factory_os.git, or process spawning."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.List | ast.Tuple) and node.elts:
            first = node.elts[0]
            if isinstance(first, ast.Constant) and first.value == "git":
                found.append(f"{node.lineno}: a command line starting with 'git'")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            literal = any(isinstance(arg, ast.List | ast.Tuple) for arg in node.args)
            owner = node.func.value
            on_git = isinstance(owner, ast.Name) and owner.id in ("git", "plumbing", "spawn")
            if on_git and node.func.attr in _RUNNERS and literal:
                found.append(f"{node.lineno}: {node.func.attr}() given a literal argument list")
    found += [
        f"{line}: imports {name}" for line, name in _imports(path) if "factory_os.git.spawn" in name
    ]
    return found


@pytest.mark.parametrize(("module", "path"), _modules(), ids=lambda value: str(value))
def test_only_the_git_package_builds_git_command_lines(module: str, path: Path) -> None:
    if _unit(module) == "git":
        return
    where = [f"{path.relative_to(PACKAGE.parent)}:{line}" for line in _git_command_lines(path)]
    assert not where, "\n".join(where)


def test_the_git_command_line_check_sees_what_it_guards(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from factory_os.git import spawn\n"
        'spawn.run_all([["git", "status"]])\n'
        'git.run(["rev-list", "HEAD"], cwd)\n'
        "git.run(git.staged_changes_args(None), cwd)\n"
        'subprocess.run(["sh", "-c", command])\n'
    )
    lines = sorted(line.split(":")[0] for line in _git_command_lines(sample))
    assert lines == ["1", "2", "2", "3"]
