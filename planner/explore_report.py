"""``planner report`` on a folder written by ``planner explore``: a tornado plot, the near-optimal
range of each group, and the value of each decision; PNG, their data as CSV, one HTML page.

Each plot is made in two steps, as in report.py: ``*_data`` reads the table the plot shows, ``plot_*``
draws it.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .compare import CompareError  # noqa: E402
from .report import Plot, table_html  # noqa: E402

EXPLORE_TABLES = ("with_without", "near_optimal", "tornado", "morris")


def is_explore_folder(path: Path) -> bool:
    return (Path(path) / "explore.json").is_file()


def read_explore(path: Path) -> tuple[dict, dict[str, pd.DataFrame]]:
    """explore.json and the tables present; CompareError says what cannot be read."""
    path = Path(path)
    try:
        summary = json.loads((path / "explore.json").read_text(encoding="utf-8"))
        tables = {t: pd.read_csv(path / f"{t}.csv") for t in EXPLORE_TABLES if (path / f"{t}.csv").is_file()}
    except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise CompareError(f"{path}: cannot read the explore results ({str(exc)[:300]})") from exc
    if not isinstance(summary, dict) or summary.get("command") != "planner explore":
        raise CompareError(f"{path}: explore.json is not one written by planner explore")
    return summary, tables


def tornado_data(summary: dict, tables: dict) -> pd.DataFrame:
    """Per parameter: the objective at its low and high value, and the base objective."""
    t = tables.get("tornado")
    if t is None or t.empty:
        return pd.DataFrame()
    frame = t[["parameter", "low", "high", "objective_low_musd", "objective_high_musd"]].copy()
    frame["objective_base_musd"] = summary.get("objective_musd")
    return frame


def _label(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def plot_tornado(frame: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(frame) + 1.8))
    base = float(frame.objective_base_musd.iloc[0])
    rows = frame.iloc[::-1].reset_index(drop=True)  # the widest swing on top
    for i, r in rows.iterrows():
        ends = {end: r[f"objective_{end}_musd"] for end in ("low", "high")}
        if all(pd.notna(v) and abs(v - base) <= 1e-6 * max(1.0, abs(base)) for v in ends.values()):
            ax.text(base, i, f" {_label(r.low)} to {_label(r.high)}: no change", va="center", ha="left", fontsize=8)
            continue
        for end, colour in (("low", "#1f77b4"), ("high", "#d62728")):
            v = ends[end]
            if pd.notna(v):
                ax.barh(i, v - base, left=base, color=colour, alpha=0.8)
                ax.text(v, i, f" {_label(r[end])} ", va="center", ha="left" if v >= base else "right", fontsize=8)
    ax.axvline(base, color="black", lw=1)
    from matplotlib.patches import Patch

    handles = [Patch(color=colour, alpha=0.8, label=f"{end} value")
               for end, colour in (("low", "#1f77b4"), ("high", "#d62728"))]
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_yticks(range(len(rows)), rows.parameter, fontsize=8)
    ax.set_xlabel("objective (MUSD, NPV)")
    ax.set_title("Tornado: the objective at each parameter's low and high value")
    ax.legend(handles=handles, loc="best", fontsize=8)
    fig.tight_layout()
    return fig


def ranges_data(summary: dict, tables: dict) -> pd.DataFrame:
    """Near-optimal MW ranges of each group in the last year explored."""
    t = tables.get("near_optimal")
    if t is None or t.empty:
        return pd.DataFrame()
    last = t[t.year == t.year.max()]
    return last[["group", "year", "min_mw", "optimal_mw", "max_mw", "verdict"]].reset_index(drop=True)


def plot_ranges(frame: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(frame) + 1.8))
    rows = frame.iloc[::-1].reset_index(drop=True)
    colours = {"in every near-optimal plan": "#2ca02c", "a real choice": "#ff7f0e", "never": "#7f7f7f"}
    for i, r in rows.iterrows():
        colour = colours.get(r.verdict, "#1f77b4")
        ax.plot([r.min_mw, r.max_mw], [i, i], color=colour, lw=6, solid_capstyle="butt", alpha=0.7)
        if abs(r.max_mw - r.min_mw) < 1e-6:  # no range: a square shows the verdict's colour
            ax.plot([r.min_mw], [i], marker="s", color=colour, ms=7, alpha=0.8)
        ax.plot([r.optimal_mw], [i], marker="|", color="black", ms=12, mew=2)
    ax.set_yticks(range(len(rows)), rows.group, fontsize=8)
    ax.set_xlabel(f"MW online in {int(frame.year.max())}")
    ax.set_title("Near-optimal ranges (bar: least to most MW; tick: the optimal plan)")
    for verdict, colour in colours.items():
        ax.plot([], [], color=colour, lw=6, label=verdict)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def values_data(summary: dict, tables: dict) -> pd.DataFrame:
    t = tables.get("with_without")
    if t is None or t.empty:
        return pd.DataFrame()
    return t[["rank", "asset", "built", "build_year", "value_musd", "note"]].reset_index(drop=True)


def plot_values(frame: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(9, 0.32 * len(frame) + 1.8))
    rows = frame.iloc[::-1].reset_index(drop=True)
    built = rows.built.astype(str).str.lower() == "true"
    ax.barh(range(len(rows)), rows.value_musd.fillna(0.0), color=["#2ca02c" if b else "#9467bd" for b in built])
    ax.set_yticks(range(len(rows)), rows.asset, fontsize=8)
    ax.axvline(0, color="black", lw=1)
    ax.set_xlabel("value of the decision (MUSD, NPV): the reversed plan's objective less the optimum")
    ax.set_title("What each decision is worth (green: built, barred; purple: not built, forced in)")
    fig.tight_layout()
    return fig


def explore_plots(summary: dict, tables: dict) -> list[Plot]:
    specs = [
        ("tornado", "Tornado", "The objective with one parameter at its low and at its high value, the others as "
                               "the scenario gives them; widest swing on top.", tornado_data, plot_tornado),
        ("near_optimal_ranges", "Near-optimal ranges",
         f"Within {100 * (summary.get('slack') or 0):g} % of the optimum: the least and most MW each group "
         "can hold, and the optimal plan's (tick).", ranges_data, plot_ranges),
        ("decision_values", "Value of each decision", "Each candidate's decision reversed (built: barred; not "
                                                      "built: forced in at its earliest year) and the plan "
                                                      "re-solved.", values_data, plot_values),
    ]
    out = []
    for name, title, caption, data_fn, plot_fn in specs:
        data = data_fn(summary, tables)
        if data.empty:
            continue
        out.append(Plot(name, title, caption, data, plot_fn(data)))
    return out


def render_explore_html(path: Path, summary: dict, figures: list[Plot], pngs: dict[str, bytes]) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>planner explore: {e(str(summary.get('scenario', '')))}</title>",
        "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
        "table.data{border-collapse:collapse;font-size:12px;margin:0.5em 0 2em}"
        "table.data td,table.data th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
        "img{max-width:100%}.wrap{overflow-x:auto}</style></head><body>",
        f"<h1>Options for the negotiating table: {e(str(summary.get('scenario', '')))}</h1>",
        f"<p>Objective of the optimal plan <b>{float(summary.get('objective_musd') or 0):,.1f} MUSD</b> (NPV); "
        f"values within {float(summary.get('gap_musd') or 0):,.1f} MUSD are within the solver's MIP gap. "
        f"Results in <code>{e(str(path))}</code>.</p>",
    ]
    for p in figures:
        data = base64.b64encode(pngs[p.name]).decode("ascii")
        parts += [f"<h2 id='{p.name}'>{e(p.title)}</h2>",
                  f"<img alt='{e(p.title)}' src='data:image/png;base64,{data}'>",
                  f"<p>{e(p.caption)}</p>", table_html(p.data)]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_explore_report(folder: Path, out_html: Path | None = None, force: bool = False):
    """The report page of an explore folder (default ``<folder>/report.html``) and its figures."""
    from .report import write_page

    summary, tables = read_explore(folder)
    return write_page(Path(folder), out_html, force, lambda: explore_plots(summary, tables),
                      lambda figures, pngs: render_explore_html(Path(folder), summary, figures, pngs))
