"""Errors a user can act on: every problem carries file, line, column and key path."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, located as precisely as we can."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        return self.labelled("")

    def labelled(self, label: str) -> str:
        """``file:line:column: [label: ]path: message``, e.g. with label "warning" for a warning."""
        parts = [f"{self.file}:{self.line}:{self.column}", label, self.path, self.message]
        return ": ".join(p for p in parts if p)


class InputError(Exception):
    """Invalid input (instance file, result file, option). The CLI maps it to exit code 2."""

    def __init__(self, problems: list[Problem] | str):
        if isinstance(problems, str):
            problems = [Problem("<input>", 0, 0, "", problems)]
        self.problems = sorted(set(problems), key=lambda p: (p.file, p.line, p.column, p.path, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


class UsageError(InputError):
    """A command-line or API argument that cannot be honoured (also exit code 2)."""

    def __init__(self, message: str):
        Exception.__init__(self, message)
        self.problems = []

    def __str__(self) -> str:  # plain message, no location
        return self.args[0]


class LimitReached(Exception):
    """A solve the answer depends on stopped at a time limit before it was proven (exit code 4)."""
