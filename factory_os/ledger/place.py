"""What the pass of `scan.scan_lines` could not do at once: place the lines whose
parents it had not seen placed (with `dag.place`, the one placement), and find
entries that occur twice."""

from __future__ import annotations

from collections.abc import Mapping

from factory_os.ledger import dag
from factory_os.ledger.line import id_text, split_parents
from factory_os.ledger.report import LedgerProblem, VerifyReport
from factory_os.ledger.scan import _OUT_OF_ORDER, Scan

_TWICE = "the same entry occurs twice (a copied line)"


def _parents(stored: bytes) -> tuple[bytes, ...]:
    """The parents as `Scan.parents_of` keeps them: one id as it is, several as stored."""
    if len(stored) == 64:
        return (stored,)
    return split_parents(stored) or ()


def place_rest(
    scan: Scan, last: Mapping[str, int], report: VerifyReport, *, incremental: bool
) -> bool:
    """Place what the scan could not, and report the DAG's problems; False when an
    incremental run meets a parent it cannot see (older than the remembered heads)."""
    if not scan.blocked:
        return True
    left = scan.blocked
    chains = [[i for i in scan.order[rel][index:] if i] for rel, index in left.items()]
    stored = scan.parents_of
    parents_of = {ident: _parents(stored[ident]) for chain in chains for ident in chain}
    placement = dag.place(parents_of, scan.heights, chains=chains)
    if incremental and (placement.missing or placement.tainted):
        return False
    flagged = set(placement.missing) | set(placement.cyclic)
    where: dict[bytes, tuple[str, int]] = {}
    if flagged:
        for rel, ids in scan.order.items():
            for index, ident in enumerate(ids):
                if ident in flagged:
                    where[ident] = (rel, scan.first_line[rel] + index)
    for ident, parents in placement.missing.items():
        rel, number = where[ident]
        for parent in parents:
            message = f"parent {id_text(parent)} does not exist (entry deleted?)"
            report.findings.append(LedgerProblem(rel, number, message, id_text(ident)))
    for ident in placement.cyclic:
        rel, number = where[ident]
        report.findings.append(
            LedgerProblem(rel, number, "entry is in a cycle of parents", id_text(ident))
        )
    heights = scan.heights
    for rel, start in left.items():
        ids = scan.order[rel]
        previous = _height_before(scan, rel, start, last)
        for index in range(start, len(ids)):
            height = heights.get(ids[index])
            if height is None:
                continue
            if height <= previous:
                number = scan.first_line[rel] + index
                report.findings.append(
                    LedgerProblem(rel, number, _OUT_OF_ORDER, id_text(ids[index]))
                )
            previous = height
    return True


def find_copies(scan: Scan, known: set[bytes], report: VerifyReport) -> None:
    """VerifyReport every entry that occurs twice. The hot loop does not look: when every id is
    distinct, the entries counted and the ids kept tell it at no cost per line."""
    waiting = sum(1 for ident in scan.parents_of if ident not in scan.heights)
    if scan.count() == len(scan.heights) - len(known) + waiting:
        return
    first: dict[bytes, str] = {ident: "a line verified before" for ident in known}
    for rel, ids in scan.order.items():
        for index, ident in enumerate(ids):
            if not ident:
                continue
            number = scan.first_line[rel] + index
            where = first.setdefault(ident, f"{rel}:{number}")
            if where != f"{rel}:{number}":
                message = f"{_TWICE}; first at {where}"
                report.findings.append(LedgerProblem(rel, number, message, id_text(ident)))


def _height_before(scan: Scan, rel: str, index: int, last: Mapping[str, int]) -> int:
    ids = scan.order[rel]
    for before in range(index - 1, -1, -1):
        height = scan.heights.get(ids[before])
        if height is not None:
            return height
    return last.get(rel, -1)
