"""One entry of the ledger (DESIGN section 4). The entry's id is not a field: it is the
hash of the stored line, written before it."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from factory_os.model.common import NonEmpty, Sha256, Strict, empty_list


class FileRef(Strict):
    path: NonEmpty = Field(description="Relative to the factory root, with slashes.")
    sha256: Sha256


class LedgerEntry(Strict):
    v: Literal[1] = 1
    kind: str = Field(pattern=r"^[a-z][a-z_]*(\.[a-z_]+)*$", description="e.g. rule.added, signoff")
    at: str = Field(description="UTC time, informational (RFC 3339).")
    actor: NonEmpty
    subject: str = ""
    refs: list[FileRef] = Field(default_factory=empty_list)
    parents: list[Sha256] = Field(default_factory=empty_list)
    data: dict[str, Any] = Field(default_factory=dict)
