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
    #: indices of problems that leave the data checkable (a misspelt id in a variant, a misspelt
    #: column header): checking goes on, so the other mistakes are listed with them
    soft: set[int] = field(default_factory=set)
    #: (list, field) -> the table file whose column is missing, already said once: the "missing
    #: required field" problems of that table's rows are not repeated
    explained: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(self, file: str, where: str, message: str, line: str = "", soft: bool = False) -> None:
        self.items.append(Problem(str(file), where, message, line))
        if soft:
            self.soft.add(len(self.items) - 1)

    def soften(self, since: int) -> None:
        """Mark the problems added from index ``since`` on as soft."""
        self.soft.update(range(since, len(self.items)))

    def blocking(self) -> bool:
        """Whether a problem stops the checking (a file that cannot be read, a broken table)."""
        return any(i not in self.soft for i in range(len(self.items)))

    def raise_if_blocking(self) -> None:
        """Raise every problem so far if one of them stops the checking."""
        if self.blocking():
            self.raise_if_any()

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


def suggestion(word: str, choices, listing: bool = False) -> str:
    """' (did you mean 'x'?)' for a close match (difflib), or a choice that the word begins or is a
    part of (``capex`` -> ``capex_usd_per_kw``); with ``listing``, when nothing is close, the
    choices themselves when there are few: '; there are a, b, c'."""
    choices = sorted({str(c) for c in choices})
    close = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    low = str(word).lower()
    if low:
        parts = [c for c in choices if c.lower().startswith(low) or low in c.lower().replace("-", "_").split("_")]
        if 1 <= len(parts) <= 3:
            return " (did you mean " + " or ".join(f"'{c}'" for c in parts) + "?)"
    if listing and choices and len(choices) <= 12:
        return f"; there are {', '.join(choices)}"
    if listing and not choices:
        return "; there are none"
    return ""
