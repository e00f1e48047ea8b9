"""What a rule check reports: one `Finding` per broken rule, path and commit."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from factory_os.records import NamedTuple


SEVERITIES = ("block", "warn", "info")


class Finding(NamedTuple):
    """One rule broken once: by which change, where, and how badly.

    `path` is relative to the factory root (None when the finding concerns the
    commit as a whole, e.g. a missing trailer); `line` is 1-based or None;
    `commit` is None for staged changes; `member` is the member id, or the author
    email when the author is no member.
    """

    rule_id: str
    severity: str
    message: str
    path: str | None = None
    line: int | None = None
    commit: str | None = None
    member: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == "block"

    def as_json(self) -> dict[str, Any]:
        return self._asdict()


def sort_key(finding: Finding) -> tuple[int, str, str, int, str, str]:
    return (
        SEVERITIES.index(finding.severity) if finding.severity in SEVERITIES else 3,
        finding.commit or "",
        finding.path or "",
        finding.line or 0,
        finding.rule_id,
        finding.message,
    )
