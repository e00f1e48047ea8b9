"""Scopes are gitignore-style globs, matched without pathspec on the hook path."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from factory_os import globs
from factory_os.rules.scope import Matcher, Scope, encoded, literal_prefixes, plain, translate
from tests.checks_helpers import add_rule, commit_as
from tests.helpers import commit_all, fos, fos_process, write_tree


@pytest.mark.parametrize(
    ("paths", "exclude", "path", "expected"),
    [
        (["src/"], [], "src/a.py", True),
        (["src/"], [], "lib/src/a.py", True),  # no leading slash: at any depth
        (["/src/"], [], "lib/src/a.py", False),
        (["src/"], [], "src", False),  # a directory pattern never matches a file
        (["*.md"], [], "a/b/c.md", True),
        (["docs/**"], [], "docs/x/y.txt", True),
        (["a/*/b"], [], "a/x/b", True),
        (["a/*/b"], [], "a/x/y/b", False),
        (["*"], [".factory/", "*.md"], "src/x.py", True),
        (["*"], [".factory/", "*.md"], ".factory/team.yaml", False),
        (["*"], [".factory/", "*.md"], "notes/readme.md", False),
        (["*", "!*.md"], [], "x.md", False),
        ([], [], "anything/at/all", True),
        ([], ["vendor/"], "vendor/lib.py", False),
    ],
)
def test_gitignore_semantics(
    paths: list[str], exclude: list[str], path: str, expected: bool
) -> None:
    assert Scope(translate(paths), translate(exclude))(path) is expected


def test_literal_prefixes_only_for_anchored_patterns() -> None:
    assert literal_prefixes(["pkg/**/*.py", ".factory/DNA.md"]) == ["pkg/", ".factory/DNA.md"]
    assert literal_prefixes(["src/"]) is None  # matches at any depth
    assert literal_prefixes(["/top"]) == ["top"]
    assert literal_prefixes(["a/b", "!a/b/c"]) is None


def test_a_range_runs_a_fixed_number_of_git_processes(
    factory_repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    add_rule(
        factory_repo,
        "R-abc900",
        {"kind": "forbidden-pattern", "pattern": "[X]YZ"},
        scope={"paths": ["*.txt"]},
    )
    base = commit_all(factory_repo, "rule")

    def processes(count: int) -> int:
        for n in range(count):
            write_tree(factory_repo, {f"f{count}-{n}.txt": f"{n}\n"})
            commit_as(factory_repo, "test@example.com")
        fos(factory_repo, "check", "--range", f"{base}..HEAD")  # rule documents compiled
        trace = tmp_path / f"trace-{count}.json"
        monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
        assert fos(factory_repo, "check", "--range", f"{base}..HEAD").code == 0
        monkeypatch.delenv("GIT_TRACE2_EVENT")
        events = [json.loads(line) for line in trace.read_text().splitlines()]
        return sum(1 for e in events if e["event"] == "version")

    assert processes(2) == processes(20)


def test_a_glob_that_would_backtrack_is_matched_in_linear_time(factory_repo: Path) -> None:
    # on a backtracking engine this pattern against 60 `a`s takes hours; the timeout
    # of fos_process is the failure, not a measure of speed
    add_rule(factory_repo, "R-abc901", {"kind": "path-guard"}, scope={"paths": [EVIL]})
    base = commit_all(factory_repo, "rule")
    write_tree(factory_repo, {"a" * 60: "x\n", "d/" + "a" * 59 + "b": "x\n"})
    commit_as(factory_repo, "test@example.com")
    result = fos_process(factory_repo, "check", "--range", f"{base}..HEAD", "--format", "json")
    assert result.code == 1, result.output
    flagged = [f["path"] for f in json.loads(result.out)["findings"] if f["rule_id"] == "R-abc901"]
    assert flagged == ["d/" + "a" * 59 + "b"]


EVIL = "**/" + "a*" * 12 + "b"


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.text(alphabet="ab/*?[]!:^-\\", min_size=1, max_size=8), min_size=1, max_size=3),
    st.text(alphabet="ab/:[]^-!", min_size=1, max_size=10),
)
def test_the_linear_matcher_reads_each_glob_as_before(patterns: list[str], path: str) -> None:
    """RE2 gives each translated glob the meaning Python's `re` gave it."""
    try:
        translated = translate(patterns)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "possible nested set": `[[` read as Python does
            before = [(re.compile(regex, re.DOTALL), include) for regex, include in translated]
    except (ValueError, re.error):
        return  # refused (now with the glob named), not matched
    expected = False
    for regex, include in before:
        if regex.match(path):
            expected = include
    assert Matcher(translated)(path) is expected


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="".join(sorted(globs.PLAIN)), min_size=1, max_size=12))
def test_a_plain_glob_needs_no_trial_compile(pattern: str) -> None:
    """What `globs.translate` skips for a plain glob is a check RE2 would pass."""
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    try:
        regex, _include = GitIgnoreSpecPattern.pattern_to_regex(pattern)
    except ValueError:
        return  # refused by the translation itself, fast path or not
    if regex is not None:
        assert globs.rejected(str(regex).replace("(?P<ps_d>/)", "/")) == ""


@pytest.mark.parametrize("pattern", ["!", "/", "src/**/*.py", "!build/", "a**b", "-x_.y"])
@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="".join(sorted(globs.PLAIN)), min_size=1, max_size=12))
def test_a_plain_glob_is_judged_as_the_full_translation_judges_it(pattern: str, drawn: str) -> None:
    for glob in (pattern, drawn):
        try:
            globs.translate([glob])
            valid = True
        except globs.GlobError:
            valid = False
        try:
            globs.check(glob)
            checked = True
        except globs.GlobError:
            checked = False
        assert checked is valid, glob


PLAIN_SEGMENTS = ["a", "b", "ab", "a.b", "-x", "*", "**", "a*", "*b", "*a*", "a*b*a", "***", "a**"]


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from(["", "/", "!", "!/"]),
    st.lists(st.sampled_from(PLAIN_SEGMENTS), min_size=1, max_size=5),
    st.booleans(),
    st.lists(st.text(alphabet="ab.-x", min_size=1, max_size=4), min_size=1, max_size=6),
)
def test_a_plain_glob_is_matched_without_re2_as_re2_matches_it(
    start: str, segments: list[str], directory: bool, names: list[str]
) -> None:
    """A plain glob's expression is read back into segments and matched with string
    operations (RE2 is not loaded for it), with RE2's answer on every path git names."""
    import re2

    glob = start + "/".join(segments) + ("/" if directory else "")
    try:
        translated = translate([glob])
    except globs.GlobError:
        return
    path = "/".join(names)
    for regex, _include in translated:
        expression = plain(regex)
        if regex in (".", "/"):  # `**`, `**/*`: no segments to read (RE2 matches them)
            continue
        assert expression is not None, (glob, regex)
        expected = re2.compile(globs.for_re2(regex), globs.options()).match(encoded(path))
        assert expression.match(path) is (expected is not None), (glob, regex, path)


@pytest.mark.parametrize(
    "regex", ["^a[^/]b(?:/|$)", "^[ab](?:/|$)", "^a\\~(?:/|$)", "a(?:/|$)", "^a(?:/|$)b", "."]
)
def test_any_other_expression_goes_to_re2(regex: str) -> None:
    assert plain(regex) is None
