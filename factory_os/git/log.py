"""git's history and patches as the rule engine reads them.

Every function here is one git process, run through `factory_os.git.plumbing` (which
stays the one module that spawns git): commit records and signatures of a range,
the files each commit changes, merges' combined diffs, and zero-context patches
in the one format the patch parser reads, whatever the user's configuration.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from factory_os.git import plumbing as git

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _typeshed import StrPath


def log_records(cwd: StrPath, revs: Sequence[str]) -> list[list[str]]:
    """Per commit of REVS, oldest first: [sha, parents, author name, author email,
    message, trailers (as git itself parses them)]."""
    fmt = "%H%x00%P%x00%an%x00%ae%x00%B%x00%(trailers:only,unfold)"
    return _log_fields(cwd, revs, fmt, 6)


def log_signatures(
    cwd: StrPath, revs: Sequence[str], allowed_signers: StrPath | None
) -> dict[str, tuple[str, str, str, str]]:
    """sha -> (git's signature status %G?, signer %GS, key fingerprint %GF, primary
    key fingerprint %GP) for every commit of REVS."""
    config = (
        [] if allowed_signers is None else ["-c", f"gpg.ssh.allowedSignersFile={allowed_signers}"]
    )
    records = _log_fields(cwd, revs, "%H%x00%G?%x00%GS%x00%GF%x00%GP", 5, config=config)
    return {sha: (status, signer, fpr, primary) for sha, status, signer, fpr, primary in records}


def _log_fields(
    cwd: StrPath, revs: Sequence[str], fmt: str, width: int, config: Sequence[str] = ()
) -> list[list[str]]:
    args = [*config, "log", "-z", "--reverse", "--topo-order", f"--format={fmt}", *revs, "--"]
    fields = git.decode(git.run(args, cwd).stdout).split("\0")
    if fields and fields[-1] == "":
        fields.pop()
    return [fields[i : i + width] for i in range(0, len(fields) - width + 1, width)]


def diff_raw(cwd: StrPath, base: str | None, head: str) -> list[tuple[str, str, str, str]]:
    """The files HEAD changes against BASE (a commit; None: the empty tree), as
    (status, old blob, new blob, path)."""
    args = ["diff", "--raw", "-z", "--no-renames", "--no-abbrev", base or git.EMPTY_TREE, head]
    return git.raw_entries(git.run([*args, "--"], cwd).stdout)


def log_raw(
    cwd: StrPath, revs: Sequence[str], *, combined: bool = False
) -> dict[str, list[tuple[str, str, str, str]]]:
    """sha -> the files each commit of REVS changes: a merge against its first parent,
    or with COMBINED (merges only) the files that differ from every parent."""
    args = ["log", "-z", "--raw", "--no-renames", "--no-abbrev", "--format=%x01%H"]
    args += ["--merges", "--diff-merges=dense-combined"] if combined else ["--root"]
    args += [] if combined else ["--diff-merges=first-parent"]
    data = git.run([*args, *revs, "--"], cwd).stdout
    out: dict[str, list[tuple[str, str, str, str]]] = {}
    for chunk in data.split(b"\x01")[1:]:
        sha, _, rest = chunk.partition(b"\0")
        out[git.decode(sha).strip()] = git.raw_entries(rest)
    return out


def diff_pairs(
    cwd: StrPath, pairs: Sequence[tuple[str, str]]
) -> list[list[tuple[str, str, str, str]]]:
    """The files that differ from OLD to NEW, for each (old, new) of PAIRS (commits),
    in one `git diff-tree --stdin`."""
    if not pairs:
        return []
    feed = "".join(f"{new} {old}\n" for old, new in pairs).encode("ascii")
    args = ["diff-tree", "--stdin", "-r", "-z", "--raw", "--no-renames", "--no-abbrev", "--always"]
    fields = git.run(args, cwd, input=feed).stdout.split(b"\0")
    out: list[list[tuple[str, str, str, str]]] = []
    index = 0
    while index < len(fields):
        field = fields[index].lstrip(b"\n")
        if field.startswith(b":"):
            out[-1].extend(git.raw_entries(b"\0".join(fields[index : index + 2])))
            index += 2
            continue
        if field:
            out.append([])  # the header naming NEW: one per pair (--always)
        index += 1
    return out


def combined_patches(cwd: StrPath, revs: Sequence[str]) -> bytes:
    """The dense combined diffs (`--cc`) of the merges of REVS: what each merge adds
    beyond what its parents bring, each after a `\\x01<sha>` line."""
    args = ["-c", "core.quotePath=false", "log", "--merges", *PATCH_OPTIONS, "--cc"]
    return git.run([*args, "--format=%x01%H", *revs, "--"], cwd).stdout


def first_parent_patches(cwd: StrPath, commits: Sequence[str], paths: Sequence[str]) -> bytes:
    """Zero-context patches of COMMITS, merges against their first parent."""
    if not commits:
        return b""
    args = ["-c", "core.quotePath=false", "log", "--no-walk=unsorted", *PATCH_OPTIONS]
    args += ["--format=%x01%H", "--diff-merges=first-parent", *commits, "--"]
    return git.run([*args, *_literal(paths)], cwd).stdout


def merge_tree(cwd: StrPath, ours: str, theirs: str) -> str | None:
    """The tree git's own merge of OURS and THEIRS gives (conflicts left marked),
    written to the object store only; None when git cannot say."""
    proc = git.run(["merge-tree", "--write-tree", "--no-messages", ours, theirs], cwd, check=False)
    if proc.returncode not in (0, 1):
        return None
    return git.decode(proc.stdout).split("\n", 1)[0].strip() or None


# Patches as the rule engine parses them, whatever the user's configuration
# (diff.noprefix, diff.mnemonicPrefix, external diffs) or .gitattributes say: every
# file as text (an attribute or a NUL byte must not hide content from a rule),
# with a/ and b/ prefixes.
PATCH_OPTIONS = [
    "-p",
    "-U0",
    "--text",
    "--no-renames",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--no-relative",
    "--src-prefix=a/",
    "--dst-prefix=b/",
]


def log_patches(cwd: StrPath, revs: Sequence[str], paths: Sequence[str]) -> bytes:
    """Zero-context patches of every commit of REVS, each after a `\\x01<sha>` line."""
    args = ["-c", "core.quotePath=false", "log", *PATCH_OPTIONS, "--root", "--format=%x01%H"]
    args += ["--diff-merges=dense-combined"]
    return git.run([*args, *revs, "--", *_literal(paths)], cwd).stdout


def staged_patch(cwd: StrPath, base: str | None, paths: Sequence[str]) -> bytes:
    args = ["-c", "core.quotePath=false", "diff-index", "--cached", *PATCH_OPTIONS]
    return git.run([*args, base or git.EMPTY_TREE, "--", *_literal(paths)], cwd).stdout


MAX_PATHSPECS = 32


MAX_GREP_PATHSPECS = 2000
# git grep starts its threads for any search; on a commit-sized set of blobs they
# cost more CPU and time than they save (100 blobs: 15 -> 8 ms CPU, 11 -> 8 ms)
FEW_TO_GREP = 200


def grep_index(cwd: StrPath, paths: Sequence[str], literals: Sequence[str]) -> set[str] | None:
    """Which of PATHS hold one of LITERALS in their staged content (`git grep --cached`);
    None when git cannot tell (too many paths to name, or it failed): read them all."""
    if len(paths) > MAX_GREP_PATHSPECS:
        return None
    threads = ["-c", "grep.threads=1"] if len(paths) <= FEW_TO_GREP else []
    args = [*threads, "grep", "--cached", "-l", "-z", "-F", "--no-color", "--no-textconv"]
    args += [arg for literal in literals for arg in ("-e", literal)]
    proc = git.run([*args, "--", *(f":(literal){p}" for p in paths)], cwd, check=False)
    if proc.returncode not in (0, 1):
        return None
    return {git.decode(p) for p in proc.stdout.split(b"\0") if p}


def _literal(paths: Sequence[str]) -> list[str]:
    """PATHS as literal pathspecs, or none at all when there are many: git matches every
    tree entry against every pathspec, so thousands of them cost more than the diff."""
    if len(paths) > MAX_PATHSPECS:
        return []
    return [f":(literal){p}" for p in paths]


def unstaged_lines(cwd: StrPath, path: str, literal: str) -> list[bytes]:
    """The lines holding LITERAL that the work tree has under PATH and the index has
    not: added by unstaged edits, or in files git does not track (two processes, run
    at once; a file whose stat matches the index is not read)."""
    diff = ["diff", "-U0", "--no-color", "--no-ext-diff", "--no-renames", "--no-textconv"]
    others = ["ls-files", "-z", "--others", "--exclude-standard"]
    where = ["--", f":(literal){path}"]
    edited, untracked = git.parallel(cwd, [*diff, *where], [*others, *where])
    wanted = literal.encode()
    found = [
        line[1:]
        for line in edited.split(b"\n")
        if line.startswith(b"+") and not line.startswith(b"+++") and wanted in line
    ]
    for name in untracked.split(b"\0"):
        if name:
            try:
                with open(os.path.join(cwd, git.decode(name)), "rb") as f:
                    data = f.read()
            except OSError:
                continue
            found += [line for line in data.split(b"\n") if wanted in line]
    return found
