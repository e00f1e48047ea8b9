"""`fos validate`: every file under `.factory/` against its model, then across files."""

from __future__ import annotations

from dataclasses import dataclass

from factory_os.errors import EXIT_INVALID, EXIT_OK, Problem
from factory_os.memory import crossref, documents
from factory_os.store import Factory


@dataclass(frozen=True)
class Validation:
    """How many files were read, and every problem met in them, sorted by place."""

    files: int
    problems: list[Problem]

    @property
    def exit_code(self) -> int:
        return EXIT_INVALID if self.problems else EXIT_OK


def validate_factory(factory: Factory) -> Validation:
    scan = documents.scan(factory)
    problems = list(scan.problems) + list(crossref.check(scan))
    problems.sort(key=lambda p: (p.path, p.line, p.message))
    return Validation(files=scan.files, problems=problems)
