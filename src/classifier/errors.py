"""The one error type users see: bad input, reported as file, line, field and problem.

The CLI turns an :class:`InputError` into a single line on stderr and exit code 2, never a
traceback; the Python API raises it so notebook users can catch it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class InputError(Exception):
    """Bad input: where it is (``path``, ``line``, ``field``) and what is wrong (``problem``)."""

    path: str | Path | None
    problem: str
    line: int | None = None
    field: str | None = None
    line_kind: str = "line"

    def __str__(self) -> str:
        where = str(self.path) if self.path is not None else "<input>"
        if self.line is not None:
            where += f", {self.line_kind} {self.line}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.problem}"


class DataWarning(UserWarning):
    """Input that is valid but weak (e.g. too few entries to train on): the work goes on, the
    user is told.  The CLI prints these as ``atlas-coder: warning: ...`` lines."""
