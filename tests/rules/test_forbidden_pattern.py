from __future__ import annotations

from pathlib import Path

import pytest

from tests.checks_helpers import add_rule, commit_as, findings
from tests.helpers import commit_all, fos, git, write_tree

SECRET = {"kind": "forbidden-pattern", "pattern": r"AKIA[0-9A-Z]{16}"}


def _rule(repo: Path, **scope: list[str]) -> str:
    add_rule(repo, "R-bbb222", SECRET, scope=scope or {"paths": ["*.py"]})
    return commit_all(repo, "rule")


def test_added_line_matches_with_its_line_number(factory_repo: Path) -> None:
    base = _rule(factory_repo)
    write_tree(factory_repo, {"app/keys.py": "a = 1\nKEY = 'AKIAABCDEFGHIJKLMNOP'\n"})
    sha = commit_as(factory_repo, "test@example.com")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1
    [finding] = findings(result.out)
    assert (finding["path"], finding["line"], finding["commit"]) == ("app/keys.py", 2, sha)


def test_only_added_lines_count(factory_repo: Path) -> None:
    write_tree(factory_repo, {"k.py": "KEY = 'AKIAABCDEFGHIJKLMNOP'\n"})
    base = _rule(factory_repo)
    write_tree(factory_repo, {"k.py": "KEY = 'AKIAABCDEFGHIJKLMNOP'\nb = 2\n"})
    commit_as(factory_repo, "test@example.com")
    assert fos(factory_repo, "check", "--range", f"{base}..HEAD").code == 0


def test_out_of_scope_files_are_not_searched(factory_repo: Path) -> None:
    base = _rule(factory_repo)
    write_tree(factory_repo, {"notes.txt": "AKIAABCDEFGHIJKLMNOP\n"})
    commit_as(factory_repo, "test@example.com")
    assert fos(factory_repo, "check", "--range", f"{base}..HEAD").code == 0


def test_staged_change_is_checked_from_the_index(factory_repo: Path) -> None:
    _rule(factory_repo)
    write_tree(factory_repo, {"x.py": "clean = 1\n"})
    git(factory_repo, "add", "x.py")
    # the work tree gains a secret that is not staged: not part of the commit
    write_tree(factory_repo, {"x.py": "clean = 1\nAKIAABCDEFGHIJKLMNOP\n"})
    assert fos(factory_repo, "check", "--staged").code == 0
    git(factory_repo, "add", "x.py")
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert result.code == 1
    assert findings(result.out)[0]["line"] == 2


def test_a_secret_added_by_a_merge_itself_is_found(factory_repo: Path) -> None:
    base = _rule(factory_repo)
    git(factory_repo, "checkout", "-q", "-b", "side")
    write_tree(factory_repo, {"side.py": "s = 1\n"})
    commit_as(factory_repo, "test@example.com")
    git(factory_repo, "checkout", "-q", "main")
    write_tree(factory_repo, {"main.py": "m = 1\n"})
    commit_as(factory_repo, "test@example.com")
    git(factory_repo, "merge", "-q", "--no-commit", "--no-ff", "side")
    write_tree(factory_repo, {"side.py": "s = 1\nAKIAABCDEFGHIJKLMNOP\n"})
    git(factory_repo, "add", "side.py")
    git(factory_repo, "commit", "-q", "--no-verify", "-m", "merge")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    [finding] = findings(result.out)
    assert (finding["path"], finding["line"]) == ("side.py", 2)


def test_all_checks_every_tracked_file(factory_repo: Path) -> None:
    write_tree(factory_repo, {"old.py": "x\nAKIAABCDEFGHIJKLMNOP\n"})
    _rule(factory_repo)
    result = fos(factory_repo, "check", "--all", "--format", "json")
    assert result.code == 1
    assert [(f["path"], f["line"]) for f in findings(result.out)] == [("old.py", 2)]


def test_pathological_pattern_runs_in_linear_time(factory_repo: Path) -> None:
    add_rule(factory_repo, "R-ccc333", {"kind": "forbidden-pattern", "pattern": "(a+)+$"})
    base = commit_all(factory_repo, "rule")
    write_tree(factory_repo, {"evil.txt": "a" * 50_000 + "!\n"})
    commit_as(factory_repo, "test@example.com")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD")
    assert result.code == 0, result.output


KEY = "AKIAABCDEFGHIJKLMNOP"


def test_gitattributes_cannot_switch_the_check_off(factory_repo: Path) -> None:
    base = _rule(factory_repo, paths=["*.txt"])
    write_tree(
        factory_repo,
        {".gitattributes": "notes.txt binary\nother.txt -diff\n", "notes.txt": f"{KEY}\n"},
    )
    write_tree(factory_repo, {"other.txt": f"x\n{KEY}\n"})
    git(factory_repo, "add", "-A")
    staged = fos(factory_repo, "check", "--staged", "--format", "json")
    assert [(f["path"], f["line"]) for f in findings(staged.out)] == [
        ("notes.txt", 1),
        ("other.txt", 2),
    ]
    commit_as(factory_repo, "test@example.com")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert [(f["path"], f["line"]) for f in findings(result.out)] == [
        ("notes.txt", 1),
        ("other.txt", 2),
    ]


def test_the_users_diff_configuration_changes_nothing(factory_repo: Path) -> None:
    base = _rule(factory_repo)
    for key, value in (
        ("diff.noprefix", "true"),
        ("diff.mnemonicPrefix", "true"),
        ("log.showRoot", "false"),
        ("diff.relative", "true"),
    ):
        git(factory_repo, "config", key, value)
    write_tree(factory_repo, {"k.py": f"KEY = '{KEY}'\n"})
    git(factory_repo, "add", "-A")
    assert fos(factory_repo, "check", "--staged").code == 1
    commit_as(factory_repo, "test@example.com")
    assert fos(factory_repo, "check", "--range", f"{base}..HEAD").code == 1
    assert fos(factory_repo, "check", "--commit", "HEAD").code == 1


def test_line_numbers_after_a_missing_final_newline(factory_repo: Path) -> None:
    write_tree(factory_repo, {"k.py": "a = 1"})
    base = _rule(factory_repo)
    write_tree(factory_repo, {"k.py": f"a = 1\nb = 2\nKEY = '{KEY}'"})
    git(factory_repo, "add", "-A")
    staged = fos(factory_repo, "check", "--staged", "--format", "json")
    assert [f["line"] for f in findings(staged.out)] == [3]
    commit_as(factory_repo, "test@example.com")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert [f["line"] for f in findings(result.out)] == [3]


def test_a_file_with_many_matches_says_how_many_more(factory_repo: Path) -> None:
    base = _rule(factory_repo)
    write_tree(factory_repo, {"k.py": "".join(f"K{n} = '{KEY}'\n" for n in range(25))})
    commit_as(factory_repo, "test@example.com")
    result = fos(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    found = findings(result.out)
    assert len(found) == 21
    assert [f["line"] for f in found if f["line"] is None] == [None]
    assert any("5 more added lines match" in str(f["message"]) for f in found)


def test_staged_content_checked_again_is_not_searched_again(
    factory_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _rule(factory_repo)
    write_tree(factory_repo, {"a.py": "a = 1\n", "k.py": "KEY = 'AKIAABCDEFGHIJKLMNOP'\n"})
    git(factory_repo, "add", "-A")
    trace = tmp_path / "trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))

    def check() -> tuple[list[tuple[str, int]], int]:
        trace.write_text("")
        result = fos(factory_repo, "check", "--staged", "--format", "json")
        assert result.code == 1, result.output
        searches = trace.read_text().count("git grep --cached")
        return [(f["path"], f["line"]) for f in findings(result.out)], searches

    assert check() == ([("k.py", 1)], 1)
    assert check() == ([("k.py", 1)], 0)  # the same blobs: what they hold is known
    write_tree(factory_repo, {"a.py": "a = 1\nAKIAABCDEFGHIJKLMNOP\n"})
    git(factory_repo, "add", "a.py")
    assert check() == ([("a.py", 2), ("k.py", 1)], 1)  # a new blob is searched


def test_what_git_grep_says_is_kept_only_for_the_index_it_read(factory_repo: Path) -> None:
    from factory_os.rules.inforce import Compiler
    from factory_os.rules.run import require_repo
    from factory_os.rules.source import grep_staged, index_stamp

    _rule(factory_repo)
    write_tree(factory_repo, {"k.py": "KEY = 'AKIAABCDEFGHIJKLMNOP'\n"})
    git(factory_repo, "add", "k.py")
    secret = git(factory_repo, "rev-parse", ":k.py")
    repo = require_repo(factory_repo)
    read_at = index_stamp(repo)
    # the index changes after the blob ids were read, before git grep reads it
    write_tree(factory_repo, {"k.py": "clean = 1\n"})
    git(factory_repo, "add", "k.py")
    found = grep_staged(repo, Compiler(repo), {"k.py": secret}, ["AKIA"], read_at)
    assert found == set()  # (git grep read the clean file)
    write_tree(factory_repo, {"k.py": "KEY = 'AKIAABCDEFGHIJKLMNOP'\n"})
    git(factory_repo, "add", "k.py")
    result = fos(factory_repo, "check", "--staged", "--format", "json")
    assert [(f["path"], f["line"]) for f in findings(result.out)] == [("k.py", 1)]
