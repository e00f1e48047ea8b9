"""What a check found: a `Report`, which the renderers and the hooks read.

Apart from the engine, so that rendering findings imports no part of it.
"""

from __future__ import annotations

from factory_os.errors import EXIT_FINDINGS, EXIT_OK
from factory_os.model.vocabulary import DEFAULT_HOOK_STAGES
from factory_os.rules.finding import Finding

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Protocol

    class Described(Protocol):
        """What a report says of a rule: a compiled rule has all of it."""

        id: str
        title: str
        statement: str
        source: str


class Report:
    """What a check found, over how many changes, at which stage."""

    def __init__(
        self,
        findings: list[Finding] | None = None,
        stage: str = "ci",
        changes: int = 0,
        rules: int = 0,
        commits: list[str] | None = None,
        hook_stages: tuple[str, ...] = DEFAULT_HOOK_STAGES,  # factory.yaml's hooks.stages
        files: int = 0,
        described: Sequence[Described] = (),
        prefix: str = "",
    ) -> None:
        self.findings = findings or []
        self.stage = stage
        self.changes = changes
        self.rules = rules
        self.commits = commits or []
        self.hook_stages = hook_stages
        self.files = files  # distinct paths the changes touch
        self.described = described  # the rules in force, for what SARIF says of each
        # where the factory root is in the repository ("" or "sub/dir/"): the findings'
        # paths are relative to the factory root; SARIF and annotations name them from
        # the repository's root
        self.prefix = prefix

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.blocking]

    @property
    def exit_code(self) -> int:
        return EXIT_FINDINGS if self.blocking else EXIT_OK
