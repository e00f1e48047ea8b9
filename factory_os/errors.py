"""The errors that reach the user, each with its exit code (DESIGN section 5)."""

from __future__ import annotations

from collections.abc import Iterable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from factory_os.records import NamedTuple

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INVALID = 3
EXIT_ENVIRONMENT = 4


class Problem(NamedTuple):
    """One thing wrong with one file, at one line (0 when the whole file is meant)."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        # line 0 is no line: a file that is missing or wrong as a whole
        return f"{self.path}{f':{self.line}' if self.line else ''}: {self.message}"


class FosError(Exception):
    """An error the user can act on; printed as one line, never as a traceback."""

    exit_code = EXIT_FINDINGS


class Refused(FosError):
    """The acting member may not do this (not their role, their own change): exit 1,
    as an unmet gate is."""


class UsageError(FosError):
    exit_code = EXIT_USAGE


class EnvironmentProblem(FosError):
    """Git missing, not a repository, no factory here: the surroundings are wrong."""

    exit_code = EXIT_ENVIRONMENT


class InvalidInput(FosError):
    """One or more files or values that do not validate; each is a `Problem`."""

    exit_code = EXIT_INVALID

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=lambda p: (p.path, p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))

    @classmethod
    def one(cls, path: str, line: int, message: str) -> InvalidInput:
        return cls([Problem(path, line, message)])
