"""The shipped data stand alone: every source they cite is in scenarios/base/sources.csv with its
link, and nothing in the repository points outside it."""

from __future__ import annotations

import re
import subprocess

import pandas as pd

from tests.conftest import ROOT

SOURCES = ROOT / "scenarios" / "base" / "sources.csv"
CITE = re.compile(r"\bS(\d{1,3})\b")


def _cited() -> dict[str, set[str]]:
    cited: dict[str, set[str]] = {}
    for table in (ROOT / "scenarios").rglob("*.csv"):
        if table == SOURCES:
            continue
        frame = pd.read_csv(table, dtype=str, keep_default_na=False)
        for cell in frame.get("source", []):
            for n in CITE.findall(cell):
                cited.setdefault(f"S{n}", set()).add(table.name)
    for text_file in [ROOT / "scenarios" / "README.md", *(ROOT / "scenarios").rglob("*.yaml")]:
        for n in CITE.findall(text_file.read_text(encoding="utf-8")):
            cited.setdefault(f"S{n}", set()).add(text_file.name)
    return cited


def test_every_cited_source_is_listed_with_a_link():
    sources = pd.read_csv(SOURCES, dtype=str, keep_default_na=False).set_index("source")
    assert sources.index.is_unique
    assert all(link.startswith("https://") for link in sources.link)
    cited = _cited()
    assert len(cited) > 40  # the base case cites most of the list
    missing = {s: sorted(where) for s, where in cited.items() if s not in sources.index}
    assert not missing, f"cited but not in sources.csv: {missing}"
    assert all(sources.loc[s, "publisher"] for s in cited)


#: a path to the folder beside the repository, or its facts file: written in pieces, so that this
#: file does not name them itself
OUTSIDE = re.compile("|".join(re.escape(p) for p in ("../" + "sha" + "red", "sha" + "red/data", "lao_vn" + "_facts")))


def test_nothing_points_outside_the_repository():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    offenders = []
    for name in files:
        path = ROOT / name
        if path.suffix not in (".md", ".py", ".yaml", ".yml", ".csv", ".toml", ".txt", "") or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if OUTSIDE.search(text):
            offenders.append(name)
    assert not offenders


def test_the_rendered_table_in_scenarios_readme_matches_sources_csv():
    """scenarios/README.md renders sources.csv: every row with its date, title and link."""
    sources = pd.read_csv(SOURCES, dtype=str, keep_default_na=False)
    assert {"source", "publisher", "date", "title", "link", "supports"} <= set(sources.columns)
    assert all(sources.title), "every source has a title"
    readme = (ROOT / "scenarios" / "README.md").read_text(encoding="utf-8")
    rendered = {line.split("|")[1].strip(): line for line in readme.splitlines()
                if re.match(r"^\| S\d+ \|", line)}
    assert set(rendered) == set(sources.source)
    for row in sources.itertuples():
        line = rendered[row.source]
        assert f"<{row.link}>" in line and row.publisher in line and row.title.replace("|", "/") in line, row.source
