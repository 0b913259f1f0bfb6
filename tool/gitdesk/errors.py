"""Errors and problems: what goes wrong that a user can fix."""

from __future__ import annotations

from typing import NamedTuple

# A location inside a ticket or config file: a path of keys and list indexes,
# e.g. ("history", 3, "at"). The front end turns it into a line number.
Loc = tuple[str | int, ...]


class GitdeskError(Exception):
    """A condition the user can fix; its message says how. Exit code 1."""


class UsageError(GitdeskError):
    """The command was called wrongly. Exit code 2."""


class NotFound(GitdeskError):
    """A ticket, template or reply that does not exist."""


class Refused(GitdeskError):
    """An operation the workflow or the data does not allow; nothing changed."""


class Problem(NamedTuple):
    """One thing wrong with one file, found by parsing or validation."""

    path: str
    message: str
    loc: Loc = ()
    line: int | None = None
    severity: str = "error"

    def render(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.message}"


class InvalidConfig(GitdeskError):
    """The tracker configuration has problems; all of them are listed."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.render() for p in problems))


class FrontMatterError(ValueError):
    """The text is not a ticket file; `line` is 1-based in the whole file."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line
