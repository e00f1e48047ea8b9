"""What a rule check reports: one `Finding` per broken rule, path and commit."""

from __future__ import annotations

from factory_os.model.vocabulary import RULE_SEVERITIES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple
else:
    from factory_os.records import NamedTuple


class Overridden(NamedTuple):
    """The override that lifts a finding (DESIGN section 11): its id, who granted
    it, why, and until when (a UTC stamp)."""

    id: str
    granted_by: str
    justification: str
    expires_at: str


class Finding(NamedTuple):
    """One rule broken once: by which change, where, and how badly.

    `path` is relative to the factory root (None when the finding concerns the
    commit as a whole, e.g. a missing trailer); `line` is 1-based or None;
    `commit` is None for staged changes; `member` is the member id, or the author
    email when the author is no member. `overridden` names the override that
    lifts it: the finding is still reported, and does not block.
    """

    rule_id: str
    severity: str
    message: str
    path: str | None = None
    line: int | None = None
    commit: str | None = None
    member: str | None = None
    overridden: Overridden | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == "block" and self.overridden is None

    def as_json(self) -> dict[str, Any]:
        fields = self._asdict()
        fields["overridden"] = None if self.overridden is None else self.overridden._asdict()
        return fields


def liftable(finding: Finding) -> bool:
    """Whether an override could lift FINDING (DESIGN section 11): it blocks, and its
    rule is one of `.factory/rules/`, not one of fos's own checks (`fos:...`)."""
    return finding.severity == "block" and not finding.rule_id.startswith("fos:")


def severity_rank(severity: str) -> int:
    """Where SEVERITY sorts: blocking first, an unknown word last."""
    return RULE_SEVERITIES.index(severity) if severity in RULE_SEVERITIES else len(RULE_SEVERITIES)


def sort_key(finding: Finding) -> tuple[int, str, str, int, str, str]:
    return (
        severity_rank(finding.severity),
        finding.commit or "",
        finding.path or "",
        finding.line or 0,
        finding.rule_id,
        finding.message,
    )
