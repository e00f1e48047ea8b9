from __future__ import annotations

import os
import shutil
import threading
import time
import tracemalloc
import warnings
from pathlib import Path

import pytest

from factory_os import atomic, store
from factory_os.errors import EnvironmentProblem, InvalidInput
from tests.helpers import fos, git, snapshot


def problem_of(excinfo: pytest.ExceptionInfo[InvalidInput]) -> str:
    assert len(excinfo.value.problems) == 1
    return str(excinfo.value.problems[0])


# -- find_factory ----------------------------------------------------------


def test_find_factory_from_the_root_and_from_nested_directories(factory_repo: Path) -> None:
    deep = factory_repo / "src" / "app"
    deep.mkdir(parents=True)
    for start in (factory_repo, deep, factory_repo / ".factory" / "rules"):
        found = store.find_factory(start)
        assert found.root == factory_repo.resolve()
        assert found.dir == factory_repo.resolve() / ".factory"


def test_find_factory_honours_dash_c(
    factory_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    nested = factory_repo / "docs" / "guide"
    nested.mkdir(parents=True)
    monkeypatch.chdir(elsewhere)  # -C decides, not the process's directory
    assert fos(nested, "validate").code == 0
    assert fos(elsewhere, "validate").code == 4


def test_find_factory_stops_at_the_work_tree(factory_repo: Path) -> None:
    inner = factory_repo / "vendor" / "lib"
    inner.mkdir(parents=True)
    git(inner, "init", "-q")
    with pytest.raises(EnvironmentProblem, match=r"no \.factory/ found"):
        store.find_factory(inner)
    result = fos(inner, "validate")
    assert result.code == 4
    assert "no .factory/ found" in result.err


def test_find_factory_ignores_a_factory_above_the_repository(tmp_path: Path) -> None:
    (tmp_path / ".factory").mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    with pytest.raises(EnvironmentProblem):
        store.find_factory(repo)


def test_find_factory_in_a_linked_worktree(factory_repo: Path, tmp_path: Path) -> None:
    linked = tmp_path / "linked"
    git(factory_repo, "worktree", "add", "-q", "-b", "feature", str(linked))
    found = store.find_factory(linked / ".factory")
    assert found.root == linked.resolve()
    assert fos(linked, "validate").code == 0


def test_find_factory_through_a_symlinked_path(factory_repo: Path, tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(factory_repo)
    (factory_repo / "sub").mkdir()
    assert store.find_factory(link / "sub").root == factory_repo.resolve()


def test_a_bare_repository_has_no_work_tree(tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    result = fos(bare, "init")
    assert result.code == 4
    assert not (bare / ".factory").exists()


def test_find_factory_outside_git_is_an_environment_problem(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentProblem, match="not inside a git work tree"):
        store.find_factory(tmp_path)


# -- reading ---------------------------------------------------------------


def test_read_text_refuses_binary_content_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a: 1\nb: 2\nc: \x00\n")
    with pytest.raises(InvalidInput) as excinfo:
        store.read_text(path, "f")
    assert problem_of(excinfo) == "f:3: binary content (NUL byte); expected UTF-8 text"


def test_read_text_refuses_non_utf8_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a: 1\n\nb: caf\xe9\n")
    with pytest.raises(InvalidInput) as excinfo:
        store.read_text(path, "f")
    assert problem_of(excinfo) == "f:3: not valid UTF-8 text"


def test_read_text_refuses_files_over_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"#" * (store.MAX_FILE_BYTES + 1))
    with pytest.raises(InvalidInput, match="larger than 1024 KiB"):
        store.read_text(path, "f")
    path.write_bytes(b"#" * store.MAX_FILE_BYTES)
    assert len(store.read_text(path, "f")) == store.MAX_FILE_BYTES


def test_read_text_reports_missing_files_and_directories(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="file not found"):
        store.read_text(tmp_path / "nope", "nope")
    with pytest.raises(InvalidInput, match="is a directory"):
        store.read_text(tmp_path, "dir")


def test_read_text_refuses_a_fifo_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "team.yaml"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def read() -> None:
        try:
            store.read_text(fifo, "team.yaml")
        except BaseException as exc:
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=5)
    if reader.is_alive():  # unblock the reader so the test run can end
        with open(fifo, "wb"):
            pass
        pytest.fail("read_text blocked on a FIFO")
    assert [str(exc) for exc in outcome] == [
        "team.yaml: not a regular file (a device, FIFO or socket)"
    ]


def test_read_text_refuses_a_symlink_to_a_device(tmp_path: Path) -> None:
    link = tmp_path / "team.yaml"
    link.symlink_to("/dev/zero")
    with pytest.raises(InvalidInput, match="not a regular file"):
        store.read_text(link, "team.yaml")


def test_read_text_follows_a_symlink_to_a_regular_file(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text("a: 1\n")
    (tmp_path / "link.yaml").symlink_to("real.yaml")
    assert store.read_text(tmp_path / "link.yaml", "link.yaml") == "a: 1\n"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb:\n\t- x\n", "f:3: tab in indentation (YAML indents with spaces)"),
        ("a: 1\nb: 2\na: 3\n", 'f:3: invalid YAML: found duplicate key "a" with value "3"'),
        ("a: 1\nb: [1, 2\nc: 3\n", "f:3: invalid YAML:"),
        ("a: 1\n  b: 2\n", "f:2: invalid YAML:"),
        ("a: 1\n---\nb: 2\n", "f:2: invalid YAML:"),
        ("a: *nowhere\n", "f:1: invalid YAML: found undefined alias"),
        ("a: 1\n\nb: x\x07y\n", "f:3: invalid YAML: control character U+0007 is not allowed"),
    ],
)
def test_parse_yaml_reports_the_line_of_the_problem(text: str, expected: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        store.parse_yaml(text, "f")
    assert problem_of(excinfo).startswith(expected)


@pytest.mark.parametrize(
    "text",
    ["run: |\n  make\n  \techo done\n", "paths: [a,\n\tb]\n"],
    ids=["block-scalar", "flow-sequence"],
)
def test_parse_yaml_accepts_tabs_where_yaml_allows_them(text: str) -> None:
    assert store.parse_yaml(text, "f").plain


def test_parse_yaml_problems_are_one_line_each() -> None:
    for text in ("a: \x1b\n", "a: 1\na: 2\n", "a: [\n"):
        with pytest.raises(InvalidInput) as excinfo:
            store.parse_yaml(text, "f")
        assert "\n" not in problem_of(excinfo)


def test_split_front_matter_returns_front_body_and_the_body_line() -> None:
    text = "---\ntitle: T\u2028U\r\ntags: [a]\n---\nBody\fwith a form feed\n\nend\n"
    assert store.split_front_matter(text, "f.md") == (
        "title: T\u2028U\r\ntags: [a]\n",
        "Body\fwith a form feed\n\nend\n",
        5,
    )


def test_front_matter_problems_are_at_the_line_editors_show() -> None:
    text = "---\nsummary: 'pasted\u2028text'\ntitle: a\ntitle: b\n---\n"
    front, _body, _line = store.split_front_matter(text, "f.md")
    with pytest.raises(InvalidInput) as excinfo:
        store.parse_yaml(front, "f.md", line_offset=1)
    assert problem_of(excinfo).startswith("f.md:4: invalid YAML: found duplicate key")


def test_parse_yaml_does_not_warn_about_legal_yaml() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        doc = store.parse_yaml("a: &x 1\nb: &x 2\nc: *x\n", "f")
    assert doc.plain == {"a": 1, "b": 2, "c": 2}


def test_parse_yaml_adds_the_line_offset_of_front_matter() -> None:
    with pytest.raises(InvalidInput) as excinfo:
        store.parse_yaml("a: 1\na: 2\n", "f.md", line_offset=1)
    assert problem_of(excinfo).startswith("f.md:3:")


# Time limits count this process's CPU time, not the wall clock: a loaded machine must not
# fail them. Without the limits under test these inputs cost 5 seconds or more.


def test_parse_yaml_stops_an_alias_bomb_quickly() -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]")
    started = time.process_time()
    tracemalloc.start()
    try:
        with pytest.raises(InvalidInput) as excinfo:
            store.parse_yaml("\n".join(lines) + "\n", "f", line_offset=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.process_time() - started < 2
    assert peak < 32 * 1024 * 1024
    # e: expands to 111,111 nodes, past the budget: the entry where the bomb goes off
    assert problem_of(excinfo) == (
        "f:6: YAML too large or too deep once aliases are expanded (alias bomb?)"
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: " + "[" * 200_000 + "]" * 200_000 + "\n", 2),
        ("a:\n" + "".join("  " * depth + "-\n" for depth in range(1, 5000)), 101),
        ("a:\n" + "".join("  " * depth + f"k{depth}:\n" for depth in range(1, 5000)), 100),
    ],
    ids=["flow", "block-sequence", "block-mapping"],
)
def test_parse_yaml_refuses_deep_nesting_quickly_at_its_line(text: str, line: int) -> None:
    started = time.process_time()
    with pytest.raises(InvalidInput) as excinfo:
        store.parse_yaml(text, "f")
    assert time.process_time() - started < 3
    assert problem_of(excinfo) == f"f:{line}: invalid YAML: nesting deeper than 100 levels"


def test_parse_yaml_accepts_nesting_up_to_the_limit() -> None:
    doc = store.parse_yaml("a: " + "[" * 98 + "1" + "]" * 98 + "\n", "f")
    assert doc.plain is not None


def test_parse_yaml_stops_a_merge_key_bomb_quickly() -> None:
    text = "a: &a {" + ", ".join(f"k{i}: 1" for i in range(10)) + "}\n"
    for level in range(1, 9):
        prev = f"l{level - 1}" if level > 1 else "a"
        fields = ", ".join(f"x{i}: *{prev}" for i in range(10))
        text += f"l{level}: &l{level} {{<<: *{prev}, {fields}}}\n"
    started = time.process_time()
    with pytest.raises(InvalidInput, match="alias bomb"):
        store.parse_yaml(text, "f")
    assert time.process_time() - started < 3


def test_validate_reports_each_schema_error_at_its_line() -> None:
    from factory_os.model.team import Team

    doc = store.parse_yaml(
        "members:\n  - id: a\n    name: A\n    kind: robot\n    roles: [owner]\n"
        "    emails: [a@example.com]\n    colour: red\n",
        "team.yaml",
    )
    with pytest.raises(InvalidInput) as excinfo:
        store.validate(Team, doc)
    assert [str(p) for p in excinfo.value.problems] == [
        "team.yaml:4: members.0.kind: Input should be 'human', 'agent' or 'bot'",
        "team.yaml:7: members.0.colour: unknown key",
    ]


# -- round trip ------------------------------------------------------------


def test_read_modify_write_keeps_comments_and_key_order(tmp_path: Path) -> None:
    text = (
        "# heading comment\n"
        "zeta: 1  # why zeta\n"
        "alpha:\n"
        "  # inner comment\n"
        "  b: [x, y]\n"
        "  a: two\n"
        "middle: 3\n"
    )
    path = tmp_path / "f.yaml"
    path.write_text(text)
    doc = store.load_yaml(path, "f.yaml")
    doc.tree["alpha"]["a"] = "three"
    doc.tree["omega"] = 4
    atomic.write_atomic(path, store.dump_yaml(doc.tree))
    assert path.read_text() == text.replace("a: two", "a: three") + "omega: 4\n"


def test_dump_yaml_writes_the_schema_modeline_first() -> None:
    text = store.dump_yaml({"b": 1, "a": [1, 2]}, schema="schemas/x.schema.json")
    assert text == "# yaml-language-server: $schema=schemas/x.schema.json\nb: 1\na:\n  - 1\n  - 2\n"


def test_dump_yaml_replaces_the_modeline_of_a_tree_it_read(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(
        "# yaml-language-server: $schema=old/team.schema.json\n# The team.\nmembers: []\n"
    )
    doc = store.load_yaml(path, "team.yaml")
    doc.tree["members"].append("a")
    assert store.dump_yaml(doc.tree, schema="schemas/team.schema.json") == (
        "# yaml-language-server: $schema=schemas/team.schema.json\n# The team.\nmembers:\n  - a\n"
    )


def test_schema_ref_resolves_from_the_file_that_carries_it(factory_repo: Path) -> None:
    factory = store.find_factory(factory_repo)
    for path in (factory.dir / "team.yaml", factory.dir / "rules" / "R-x.yaml"):
        ref = store.schema_ref(path, factory, "rule")
        assert (path.parent / ref).resolve().is_file()


@pytest.mark.parametrize("link", [".factory", ".factory/incidents", ".factory/incidents/x.md"])
def test_a_factory_path_leading_outside_the_work_tree_is_refused(
    factory_repo: Path, tmp_path: Path, link: str
) -> None:
    outside = tmp_path / "outside"
    target = factory_repo / link
    if target.exists():
        shutil.move(target, outside)
    else:
        outside.write_text("x\n")
    target.symlink_to(outside)
    elsewhere = snapshot(outside) if outside.is_dir() else {}
    shown = f"{link}: leads outside the work tree (to {outside})"
    for args in (
        ["incident", "add", "--title", "Out", "--severity", "low"],
        ["validate"],
        ["verify"],
        ["context"],
        ["init", "--force"],
    ):
        result = fos(factory_repo, *args)
        assert result.code == 3, (args, result.output)
        assert shown in result.output
    if outside.is_dir():
        assert snapshot(outside) == elsewhere  # nothing was written there
