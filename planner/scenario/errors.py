"""Problems found in a scenario, collected and reported together.

Every problem names the file, the place (``projects[monsoon_wind].capex_usd_per_kw``) and, where
the loader can know it, the YAML line or the table row and column.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One mistake in the input."""

    file: str
    where: str
    message: str
    line: str = ""  # "line 12" or "row 4, column capex_usd_per_kw"

    def __str__(self) -> str:
        place = self.file
        if self.line:
            place += f" ({self.line})"
        return f"{place}: {self.where}: {self.message}" if self.where else f"{place}: {self.message}"


class ScenarioError(Exception):
    """Raised with every problem of a scenario; the CLI prints them and exits with status 2."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Problems:
    """A collector: add problems while checking, raise them all at the end."""

    items: list[Problem] = field(default_factory=list)

    def add(self, file: str, where: str, message: str, line: str = "") -> None:
        self.items.append(Problem(str(file), where, message, line))

    def raise_if_any(self) -> None:
        if self.items:
            # keep order of discovery but drop exact repeats
            seen: dict[str, Problem] = {}
            for p in self.items:
                seen.setdefault(str(p), p)
            raise ScenarioError(list(seen.values()))


def did_you_mean(word: str, choices) -> str:
    """' (did you mean 'x'?)' when a close match exists, else ''."""
    match = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""
