"""Heights in the ledger's DAG: an entry's height is one more than its highest parent.

Replay order is (height, id): deterministic, the same on every clone, and never a
global sequence number. Computing heights also finds what cannot be placed: an
entry whose parent does not exist, and (in principle; it would need a hash
collision) a cycle.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Generic, NamedTuple, TypeVar

K = TypeVar("K", bound=Hashable)


class Placement(NamedTuple, Generic[K]):
    # (a named tuple: a check placing a few entries need not import `dataclasses`)
    heights: dict[K, int]
    missing: dict[K, list[K]]  # entry -> parents that do not exist
    cyclic: list[K]  # in a cycle, or below one
    tainted: list[K]  # below an entry with a missing parent


def place(
    parents_of: Mapping[K, Sequence[K]],
    heights: dict[K, int] | None = None,
    *,
    chains: Sequence[Sequence[K]] | None = None,
    ignore_missing: bool = False,
) -> Placement[K]:
    """Heights of every entry of PARENTS_OF, added to HEIGHTS (those already known).

    CHAINS are the entries of each segment in file order (default: PARENTS_OF's
    order): within a segment every line descends from the one before, so each
    chain is placed from where it stopped until it meets a parent in another
    segment not placed yet, round after round, and every line is looked at
    about once. What no round can place is sorted out by `_place_rest`. With
    IGNORE_MISSING, a parent that does not exist is passed over (readers place
    what they can; `fos verify` reports it).
    """
    heights = {} if heights is None else heights
    get = heights.get
    sequences = chains if chains is not None else [list(parents_of)]
    positions = [0] * len(sequences)
    progress = True
    while progress:
        progress = False
        for index, chain in enumerate(sequences):
            position = start = positions[index]
            end = len(chain)
            while position < end:
                node = chain[position]
                top = -1
                for parent in parents_of[node]:
                    height = get(parent)
                    if height is None:
                        if ignore_missing and parent not in parents_of:
                            continue
                        break
                    if height > top:
                        top = height
                else:
                    heights[node] = top + 1
                    position += 1
                    continue
                break
            if position != start:
                positions[index] = position
                progress = True
    placement: Placement[K] = Placement(heights, {}, [], [])
    pending = [
        node
        for chain, position in zip(sequences, positions, strict=True)
        for node in chain[position:]
        if node not in heights
    ]
    if pending:
        _place_rest(parents_of, list(dict.fromkeys(pending)), placement, ignore_missing)
    return placement


def _place_rest(
    parents_of: Mapping[K, Sequence[K]],
    pending: list[K],
    placement: Placement[K],
    ignore_missing: bool,
) -> None:
    heights = placement.heights
    waiting = set(pending)
    need: dict[K, int] = {}
    children: dict[K, list[K]] = {}
    for node in pending:
        count = 0
        for parent in parents_of[node]:
            if parent in heights:
                continue
            if parent in waiting:
                children.setdefault(parent, []).append(node)
                count += 1
            elif not ignore_missing or parent in parents_of:
                placement.missing.setdefault(node, []).append(parent)
        need[node] = count
    ready = [n for n in pending if need[n] == 0 and n not in placement.missing]
    while ready:
        node = ready.pop()
        heights[node] = 1 + max((heights[p] for p in parents_of[node] if p in heights), default=-1)
        for child in children.get(node, ()):
            need[child] -= 1
            if need[child] == 0 and child not in placement.missing:
                ready.append(child)
    tainted = set(placement.missing)
    stack = list(placement.missing)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in tainted:
                tainted.add(child)
                stack.append(child)
    for node in pending:
        if node not in heights:
            if node not in tainted:
                placement.cyclic.append(node)
            elif node not in placement.missing:
                placement.tainted.append(node)
