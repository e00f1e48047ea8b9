"""What each commit of a range answers for.

A commit answers for its diff against its parent. A merge whose parents are all
inside the range (or are the base) answers for what it adds beyond what they
bring, git's dense combined diff: a clean merge answers for nothing, a conflict
resolution does; its parents' own commits answer for the rest, or it was in
force at the base. A merge with a parent from outside the range (an old commit)
can bring back anything that parent had, a deleted incident or a loosened rule:
it answers for every difference from its first parent that no parent inside the
range explains. Last, every difference between the base and the head must be
answered for by some commit of the range; one that is not is charged to the last
merge that brought it, or else to the head.
"""

from __future__ import annotations

from collections.abc import Sequence

from factory_os.git import log as gitlog
from factory_os.rules.change import combined_paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    from _typeshed import StrPath
else:
    from factory_os.records import NamedTuple

Entry = tuple[str, str, str, str]  # status, old blob, new blob, path (from the top)


class Answered(NamedTuple):
    files: dict[str, list[Entry]]  # commit -> the file changes it answers for
    whole: list[str]  # merges whose patches must be read against their first parent


def answered(
    cwd: StrPath, revs: Sequence[str], commits: Sequence[tuple[str, list[str]]], base: str | None
) -> Answered:
    """COMMITS are (sha, parents) of REVS, oldest first; BASE is the range's base."""
    raw = gitlog.log_raw(cwd, revs)
    files = {sha: list(raw.get(sha, [])) for sha, _ in commits}
    merges = [(sha, parents) for sha, parents in commits if len(parents) > 1]
    inside = set(files)

    def trusted(parent: str) -> bool:
        return parent in inside or parent == base

    opened = [sha for sha, parents in merges if not all(map(trusted, parents[1:]))]
    pairs = [
        (p, sha) for sha, parents in merges if sha in opened for p in parents[1:] if trusted(p)
    ]
    head = commits[-1][0] if commits else None
    net = [(base, head)] if base is not None and head is not None else []
    diffs = gitlog.diff_pairs(cwd, pairs + net)
    for (_parent, sha), differing in zip(pairs, diffs, strict=False):
        # what equals a parent inside the range is that parent's commits' to answer for
        paths = {path for _s, _o, _n, path in differing}
        files[sha] = [e for e in files[sha] if e[3] in paths]
    closed = [sha for sha, _ in merges if sha not in opened]
    # a file a closed merge makes anew from its parents' versions is accounted for,
    # by the merge when its combined diff shows it, else by the parents' commits
    combined: set[tuple[str, str]] = set()
    if closed:
        shown = combined_paths(gitlog.combined_patches(cwd, revs))
        every = gitlog.log_raw(cwd, revs, combined=True)
        for sha in closed:
            kept = shown.get(sha, set())
            files[sha] = [e for e in files[sha] if e[3] in kept]
            combined.update((e[3], e[2]) for e in every.get(sha, []))
    whole = list(opened)
    if net and head is not None:
        merge_shas = [sha for sha, _ in merges]
        _charge_unanswered(diffs[-1], raw, files, combined, merge_shas, head, whole)
    return Answered(files, whole)


def _charge_unanswered(
    net: list[Entry],
    raw: dict[str, list[Entry]],
    files: dict[str, list[Entry]],
    combined: set[tuple[str, str]],
    merges: list[str],
    head: str,
    whole: list[str],
) -> None:
    """Charge each difference of NET (base to head) that no commit answers for to the
    last merge that brought it (read whole), else to the head."""
    answered = {(e[3], e[2]) for entries in files.values() for e in entries} | combined
    for entry in net:
        _status, _old, new, path = entry
        if (path, new) in answered:
            continue
        for sha in reversed(merges):
            brought = next((e for e in raw.get(sha, []) if e[3] == path and e[2] == new), None)
            if brought is not None:
                files[sha].append(brought)
                if sha not in whole:
                    whole.append(sha)
                break
        else:
            files[head].append(entry)
