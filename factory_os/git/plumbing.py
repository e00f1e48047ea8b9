"""The one module that talks to git.

Plain plumbing: it decides which git commands run and reads what they print;
spawn.py starts the processes. It honours the GIT_INDEX_FILE and GIT_DIR git
hands a hook, and imports nothing heavy, so the hook path can use it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence

from factory_os.errors import EnvironmentProblem
from factory_os.git import spawn
from factory_os.git.spawn import Completed
from factory_os.paths import SEGMENT_SUFFIX

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import NamedTuple

    from _typeshed import StrPath
else:
    from factory_os.records import NamedTuple


class GitFailed(EnvironmentProblem):
    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        self.returncode = returncode
        self.stderr = stderr
        first = stderr.strip().splitlines()[0] if stderr.strip() else f"exit code {returncode}"
        super().__init__(f"git {' '.join(args[:2])} failed: {first}")


def run(
    args: Sequence[str],
    cwd: StrPath,
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
) -> Completed:
    """Run `git ARGS` in CWD and return the completed process (bytes out and err)."""
    [proc] = run_all([args], cwd, input=input, env=env)
    if check and proc.returncode != 0:
        raise GitFailed(list(args), proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc


def run_all(
    commands: Sequence[Sequence[str]],
    cwd: StrPath,
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
) -> list[Completed]:
    """Run every `git ARGS` of COMMANDS in CWD at the same time (INPUT, if any, goes
    to the standard input of each), and wait for all of them."""
    if not os.path.isdir(cwd):
        raise EnvironmentProblem(f"{cwd} is not a directory")
    where = os.fspath(cwd)
    return spawn.run_all([["git", "-C", where, *args] for args in commands], input=input, env=env)


def output(args: Sequence[str], cwd: StrPath, **kwargs: object) -> str:
    """Run git and return its standard output as text, without the final newline."""
    return run(args, cwd, **kwargs).stdout.decode("utf-8", "surrogateescape").rstrip("\n")  # type: ignore[arg-type]


def current_branch(cwd: StrPath) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    proc = run(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def head_commit(cwd: StrPath) -> str | None:
    proc = run(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def committed_size(cwd: StrPath, path: Path) -> int | None:
    """The size of PATH's blob in HEAD, or None when HEAD does not hold it."""
    proc = run(["cat-file", "-s", f"HEAD:./{path.relative_to(cwd).as_posix()}"], cwd, check=False)
    return int(proc.stdout) if proc.returncode == 0 else None


def grep_segments(cwd: StrPath, treeish: str, literals: Sequence[str], ledger: str) -> list[bytes]:
    """The lines of the ledger segments in TREEISH holding one of LITERALS (one `git
    grep`). LEDGER is the ledger's directory; only its `*.jsonl` files are segments, so
    nothing else under it (another name, a subdirectory) is read."""
    args = ["grep", "-h", "-I", "-F", "--no-color", "--no-textconv"]
    args += [arg for literal in literals for arg in ("-e", literal)]
    where = "".join(f"\\{c}" if c in "*?[]\\" else c for c in ledger.rstrip("/"))
    spec = f":(glob){where}/*{SEGMENT_SUFFIX}"
    proc = run([*args, treeish, "--", spec], cwd, check=False)
    if proc.returncode not in (0, 1):
        raise GitFailed(args, proc.returncode, proc.stderr.decode("utf-8", "replace"))
    return proc.stdout.splitlines()


def ls_files(cwd: StrPath, pathspecs: Sequence[str], *, untracked: bool = False) -> list[str]:
    """Paths in the index under PATHSPECS, relative to CWD; with UNTRACKED, also the
    files git does not track and does not ignore."""
    others = ["--cached", "--others", "--exclude-standard"] if untracked else []
    out = run(["ls-files", "-z", *others, "--", *pathspecs], cwd).stdout
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def commits(cwd: StrPath, revs: Sequence[str]) -> list[str] | None:
    """The commits REVS (rev-list arguments) list, oldest first; None when git cannot
    list them (a revision no longer there)."""
    proc = run(["rev-list", "--reverse", *revs, "--"], cwd, check=False)
    return decode(proc.stdout).split() if proc.returncode == 0 else None


def log_raw_per_parent(
    cwd: StrPath, revs: Sequence[str], pathspecs: Sequence[str], *, ignore_missing: bool = False
) -> list[RawCommit]:
    """Every commit of REVS touching PATHSPECS with its raw diff against each parent
    (a merge appears once per parent), in one `git log` process. REVS are commit ids
    or `--not`; IGNORE_MISSING passes over those git no longer has (remembered tips
    of a history that was since rewritten), never over a revision a user named."""
    args = ["log", "--raw", "-z", "-m", "--no-renames", "--no-abbrev", "--full-history"]
    if ignore_missing:
        args.append("--ignore-missing")
    out = run([*args, "--format=%x01%H", *revs, "--", *pathspecs], cwd).stdout
    commits = []
    for block in out.split(b"\x01")[1:]:
        sha, _, rest = block.partition(b"\0")
        changes = [RawChange(*entry) for entry in raw_entries(rest)]
        commits.append(RawCommit(decode(sha).strip(), changes))
    return commits


class RawChange(NamedTuple):
    status: str  # A, M, D, T, ...
    old: str  # blob ids; all zeros where there is none
    new: str
    path: str  # from the top of the work tree


class RawCommit(NamedTuple):
    commit: str
    changes: list[RawChange]


def iter_blobs(cwd: StrPath, oids: Sequence[str]) -> Iterator[tuple[str, bytes | None]]:
    """(oid, content) of each of OIDS, in order, streamed from one `git cat-file --batch`
    (never all in memory at once); None for an object git does not have."""
    for oid, content, _size in _batch(cwd, oids, None):
        yield oid, content


def _batch(
    cwd: StrPath, oids: Sequence[str], limit: int | None
) -> Iterator[tuple[str, bytes | None, int]]:
    """(oid, content, size) of each of OIDS, in order, from one `git cat-file --batch`;
    content None for an object git does not have (size -1), or one larger than LIMIT,
    passed over unkept a chunk at a time."""
    if not oids:
        return
    names = "".join(f"{oid}\n" for oid in oids).encode("ascii")
    stream = spawn.Stream(["git", "-C", os.fspath(cwd), "cat-file", "--batch"], names)
    try:
        for oid in oids:
            header = stream.stdout.readline().split()
            if len(header) != 3:
                yield oid, None, -1
                continue
            size = int(header[2])
            if limit is None or size <= limit:
                yield oid, stream.stdout.read(size + 1)[:size], size
                continue
            left = size + 1
            while left > 0 and (chunk := stream.stdout.read(min(left, 1 << 20))):
                left -= len(chunk)
            yield oid, None, size
    finally:
        stream.close()


# -- plumbing for the rule engine (every call here is one git process) ------

ZERO_OID = "0" * 40
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def decode(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def try_output(args: Sequence[str], cwd: StrPath) -> str | None:
    """Standard output of `git ARGS`, or None when git exits non-zero."""
    proc = run(args, cwd, check=False)
    return decode(proc.stdout).rstrip("\n") if proc.returncode == 0 else None


def rev_parse(cwd: StrPath, rev: str) -> str | None:
    """The commit REV names, or None when it names none."""
    return try_output(
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"], cwd
    )


def raw_entries(data: bytes) -> list[tuple[str, str, str, str]]:
    """`--raw -z` records as (status, old blob, new blob, path); combined records of a
    merge (`::...`) are given against the first parent."""
    fields = data.split(b"\0")
    out: list[tuple[str, str, str, str]] = []
    index = 0
    while index < len(fields):
        meta = fields[index].lstrip(b"\n")
        if not meta.startswith(b":"):
            index += 1
            continue
        parents = len(meta) - len(meta.lstrip(b":"))
        parts = meta.lstrip(b":").split(b" ")
        old_blob = decode(parts[parents + 1])
        new_blob = decode(parts[2 * parents + 1])
        status = decode(parts[2 * parents + 2])[:1]
        out.append((status, old_blob, new_blob, decode(fields[index + 1])))
        index += 2
    return out


def irregular_paths(data: bytes) -> set[str]:
    """Of `--raw -z` records (not a merge's combined ones), the paths whose new mode is
    no regular file: a symlink (whose blob is its target's text), a submodule. `git
    grep` searches regular files only."""
    fields = data.split(b"\0")
    out: set[str] = set()
    for index in range(0, len(fields) - 1, 2):
        meta = fields[index].lstrip(b"\n")
        if meta.startswith(b":") and meta[1:2] != b":":
            mode = meta[1:].split(b" ", 2)[1]
            if not mode.startswith(b"100") and mode != b"000000":
                out.add(decode(fields[index + 1]))
    return out


def staged_changes_args(base: str | None) -> list[str]:
    args = ["diff-index", "--cached", "--raw", "-z", "--no-renames", "--no-abbrev"]
    return [*args, base or EMPTY_TREE, "--"]


def staged_changes(cwd: StrPath, base: str | None) -> list[tuple[str, str, str, str]]:
    """What the index changes against BASE (a commit, or None before the first)."""
    return raw_entries(run(staged_changes_args(base), cwd).stdout)


def tree_entries_args(treeish: str, paths: Sequence[str]) -> list[str]:
    if treeish == ":":
        return ["ls-files", "-s", "-z", "--", *paths]
    return ["ls-tree", "-r", "-z", "--full-tree", treeish, "--", *paths]


def parse_tree_entries(data: bytes) -> dict[str, str]:
    """path -> blob id, from `ls-files -s -z` or `ls-tree -r -z` output."""
    entries = {}
    for record in data.split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            fields = meta.split(b" ")  # ls-tree: mode type oid; ls-files: mode oid stage
            if fields[1] in (b"tree", b"commit"):
                continue
            entries[decode(path)] = decode(fields[2] if fields[1] == b"blob" else fields[1])
    return entries


def tree_entries(cwd: StrPath, treeish: str, paths: Sequence[str]) -> dict[str, str]:
    """path -> blob id of the files under PATHS in TREEISH (`:` for the index)."""
    return parse_tree_entries(run(tree_entries_args(treeish, paths), cwd).stdout)


def cat_blobs(cwd: StrPath, oids: Sequence[str]) -> dict[str, bytes]:
    """oid -> content of the blobs OIDS git has, through one `git cat-file --batch`: all
    of them are returned at once, so read like any git output (`iter_blobs` streams
    what need not be held at once, at the cost of a thread)."""
    unique = list(dict.fromkeys(oid for oid in oids if oid and oid != ZERO_OID))
    if not unique:
        return {}
    names = "".join(f"{oid}\n" for oid in unique).encode("ascii")
    out = run(["cat-file", "--batch"], cwd, input=names, check=False).stdout
    found = {}
    at = 0
    for oid in unique:
        end = out.find(b"\n", at)
        if end < 0:  # git stopped short: what it did not give is not there
            break
        header = out[at:end].split()
        at = end + 1
        if len(header) != 3:  # "<oid> missing"
            continue
        size = int(header[2])
        found[oid] = out[at : at + size]
        at += size + 1
    return found


def cat_blobs_within(
    cwd: StrPath, oids: Sequence[str], limit: int
) -> tuple[dict[str, bytes], dict[str, int]]:
    """(oid -> content of those of OIDS at most LIMIT bytes long, oid -> size of the
    larger ones, left unread), through one `git cat-file --batch`."""
    unique = list(dict.fromkeys(oid for oid in oids if oid and oid != ZERO_OID))
    kept: dict[str, bytes] = {}
    larger: dict[str, int] = {}
    for oid, content, size in _batch(cwd, unique, limit):
        if content is not None:
            kept[oid] = content
        elif size >= 0:
            larger[oid] = size
    return kept, larger


def blob_sizes(cwd: StrPath, oids: Sequence[str]) -> dict[str, int]:
    """oid -> size in bytes of the objects OIDS git has, through one
    `git cat-file --batch-check`: what a blob would cost, before reading it."""
    unique = list(dict.fromkeys(oid for oid in oids if oid and oid != ZERO_OID))
    if not unique:
        return {}
    names = "".join(f"{oid}\n" for oid in unique).encode("ascii")
    out = run(["cat-file", "--batch-check=%(objectname) %(objectsize)"], cwd, input=names).stdout
    sizes = {}
    for line in out.decode("ascii", "replace").splitlines():
        oid, _, size = line.partition(" ")
        if size.isdigit():  # "<oid> missing" for an object git does not have
            sizes[oid] = int(size)
    return sizes


AUTHOR_IDENT_ARGS = ["var", "GIT_AUTHOR_IDENT"]
# what git strips from either end of a name or an email (ident.c's `crud`, with the
# '.' older gits strip too), and the delimiters it drops from inside one
_IDENT_CRUD = frozenset(b",:;<>\"\\'.")
_IDENT_DELIMITERS = frozenset(b"<>\n")


def author_ident_from_env() -> tuple[str, str] | None:
    """The author identity (name, email) GIT_AUTHOR_NAME and GIT_AUTHOR_EMAIL set, as
    `git commit` sets them for its hooks, when git would take both as they are; else
    None, and `git var GIT_AUTHOR_IDENT` says (these variables win over any config).
    GIT_AUTHOR_DATE must be unset or in the form `git commit` sets (`@SECONDS +HHMM`),
    which git var would accept: any other, git var judges."""
    date = os.environb.get(b"GIT_AUTHOR_DATE")
    if date is not None:
        seconds, space, zone = date.partition(b" ")
        if not (
            space
            and seconds[:1] == b"@"
            and seconds[1:].isdigit()
            and len(zone) == 5
            and zone[:1] in (b"+", b"-")
            and zone[1:].isdigit()
        ):
            return None
    values = []
    for variable in (b"GIT_AUTHOR_NAME", b"GIT_AUTHOR_EMAIL"):
        raw = os.environb.get(variable)
        if not raw or any(c <= 32 or c in _IDENT_CRUD for c in (raw[0], raw[-1])):
            return None
        if any(c in _IDENT_DELIMITERS for c in raw):
            return None
        values.append(decode(raw))
    return values[0], values[1]


def parse_ident(data: bytes) -> tuple[str, str]:
    name, _, rest = decode(data).strip().partition(" <")
    return name, rest.partition(">")[0]


def author_ident(cwd: StrPath) -> tuple[str, str] | None:
    """Git's author identity here (name, email), as a commit would record it; None
    when git has none (no user.email, and none it can guess)."""
    proc = run(AUTHOR_IDENT_ARGS, cwd, check=False)
    return parse_ident(proc.stdout) if proc.returncode == 0 else None


def parallel(cwd: StrPath, *commands: Sequence[str]) -> list[bytes]:
    """The standard output of several git commands run at the same time.

    Only for commands that read nothing from standard input (every pipe is read
    at once, so none waits on another).
    """
    outputs = []
    for args, proc in zip(commands, run_all(commands, cwd), strict=True):
        if proc.returncode != 0:
            raise GitFailed(list(args), proc.returncode, proc.stderr.decode("utf-8", "replace"))
        outputs.append(proc.stdout)
    return outputs


def parse_trailers(cwd: StrPath, message: str) -> str:
    """The trailers of MESSAGE, unfolded, as git itself parses them."""
    proc = run(["interpret-trailers", "--parse"], cwd, input=message.encode("utf-8"))
    return decode(proc.stdout)


def hooks_dir(cwd: StrPath) -> Path:
    """Where git looks for hooks: core.hooksPath if set, else the common git dir's hooks."""
    from pathlib import Path  # off the hook path

    path = Path(output(["rev-parse", "--git-path", "hooks"], cwd))
    return path if path.is_absolute() else (Path(cwd) / path).resolve()


def tracked_paths(cwd: StrPath, head: str | None, paths: Sequence[str]) -> set[str]:
    """Which of PATHS (from the top) the index or the commit HEAD holds."""
    literal = [f":(top,literal){p}" for p in paths]
    commands: list[Sequence[str]] = [["ls-files", "-z", "--cached", "--", *literal]]
    if head is not None:
        commands.append(["ls-tree", "-r", "-z", "--name-only", "--full-tree", head, "--", *paths])
    return {decode(p) for out in parallel(cwd, *commands) for p in out.split(b"\0") if p}


def merge_base(cwd: StrPath, a: str, b: str) -> str | None:
    return try_output(["merge-base", a, b], cwd)


def boundary(cwd: StrPath, revs: Sequence[str]) -> list[str]:
    """The commits REVS (rev-list arguments) leave out whose children they list: where
    the listed history leaves the history left out."""
    out = output(["rev-list", "--boundary", *revs], cwd)
    return [line[1:] for line in out.splitlines() if line.startswith("-")]


def independent(cwd: StrPath, commits: Sequence[str]) -> list[str]:
    """Those of COMMITS that no other of them descends from."""
    if not commits:
        return []
    return output(["merge-base", "--independent", *commits], cwd).split()


def remote_head(cwd: StrPath, remote: str) -> str | None:
    """The remote's default branch as this clone knows it (refs/remotes/R/HEAD)."""
    return try_output(["symbolic-ref", "--quiet", f"refs/remotes/{remote}/HEAD"], cwd)
