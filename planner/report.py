"""A result folder -> plots and one self-contained HTML page (``planner report``, SPEC §5).

Each plot is computed in two steps: ``*_data`` makes the tidy table the plot shows (from the CSVs
that ``planner solve`` wrote and its resolved scenario.yaml), ``plot_*`` draws it. The page embeds
every PNG (base64) and the table under it, so it opens offline and a planner can read the numbers
behind each picture.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from typing import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402
import pandas as pd  # noqa: E402

from .compare import ResultFolder, one_future, read_result, read_table  # noqa: E402
from .io.writers import check_file_and_folder, write_file_and_folder  # noqa: E402

TECH_COLOURS = {"hydro": "#1f77b4", "wind": "#2ca02c", "solar": "#ffbf00", "coal": "#4d4d4d", "link": "#9467bd"}
COST_COLOURS = {"capex": "#1f77b4", "fixed_om": "#aec7e8", "energy": "#ff7f0e", "payments": "#8c564b",
                "links": "#9467bd", "co2": "#7f7f7f", "penalty": "#d62728", "import_value": "#2ca02c"}


@dataclass
class Plot:
    """One picture: its name (file stem), title, caption, the data it shows and the figure."""

    name: str
    title: str
    caption: str
    data: pd.DataFrame
    figure: Figure


def buildout_data(result: ResultFolder) -> pd.DataFrame:
    """Online MW of projects by year (rows) and technology (columns)."""
    cap = result.tables["capacity"]
    builds = result.tables["builds"].drop_duplicates("asset").set_index("asset")
    projects = cap[cap.asset.map(builds["kind"]) == "project"]
    tech = projects.asset.map(builds["technology"]) if "technology" in builds.columns else "project"
    frame = projects.assign(technology=tech).pivot_table(index="year", columns="technology", values="online_mw",
                                                         aggfunc="sum", fill_value=0.0)
    frame.columns.name = None
    return frame.rename(columns=lambda c: f"{c}_mw").reset_index()


def imports_data(result: ResultFolder) -> pd.DataFrame:
    """Imports against targets for the importing country (or, without a country row, each target scope)."""
    imports = result.tables["imports"]
    country = result.importing_country
    scopes = {country} if country in set(imports.scope) else set(imports.dropna(subset=["target_energy_gwh"]).scope)
    rows = imports[imports.scope.isin(scopes)]
    return rows[["scope", "year", "energy_gwh", "target_energy_gwh", "energy_shortfall_gwh"]].reset_index(drop=True)


def peak_imports_data(result: ResultFolder) -> pd.DataFrame:
    """MW absorbed by the importing country in each peak slice and year, with its firm-capacity target.

    Computed from the node balance of the importing nodes: generation there, plus what links
    deliver into them (after losses), less what leaves them.
    """
    sc = result.scenario
    country = result.importing_country
    nodes = {str(n.get("id")) for n in sc.get("nodes") or [] if str(n.get("country")) == country}
    slices = [s for s in (sc.get("time") or {}).get("slices") or [] if isinstance(s, dict) and s.get("peak")]
    peak = [str(s.get("id")) for s in slices]
    links = pd.DataFrame(sc.get("links") or [], columns=["id", "from", "to", "loss_fraction"]).set_index("id")
    links["loss_fraction"] = pd.to_numeric(links["loss_fraction"], errors="coerce").fillna(0.0)
    flows = read_table(result.path, "flows")
    flows = flows[flows.slice.isin(peak)].copy()
    forward = flows.direction == "forward"
    src = flows.link.map(links["from"]).where(forward, flows.link.map(links["to"])).astype(str)
    dst = flows.link.map(links["to"]).where(forward, flows.link.map(links["from"])).astype(str)
    into = flows.flow_mw * (1 - flows.link.map(links["loss_fraction"]))
    net = into.where(dst.isin(nodes), 0.0) - flows.flow_mw.where(src.isin(nodes), 0.0)
    frame = flows.assign(import_mw=net).groupby(["year", "slice"]).import_mw.sum()
    dispatch_path = result.path / "dispatch.csv"
    project_nodes = {str(p.get("id")): str(p.get("node")) for p in sc.get("projects") or []}
    if dispatch_path.is_file() and any(n in nodes for n in project_nodes.values()):
        d = read_table(result.path, "dispatch")
        d = d[d.slice.isin(peak) & d.project.map(project_nodes).isin(nodes)]
        frame = frame.add(d.groupby(["year", "slice"]).generation_mw.sum(), fill_value=0.0)
    wide = frame.unstack("slice").reindex(columns=peak).fillna(0.0)
    wide.columns = [f"{s}_mw" for s in wide.columns]
    imports = result.tables["imports"]
    target = imports[imports.scope == country].set_index("year").target_capacity_mw
    years = sorted(result.tables["costs"].year.unique())
    wide = wide.reindex(years).fillna(0.0)
    wide["target_capacity_mw"] = target.reindex(years).to_numpy()
    wide.index.name = "year"
    return wide.reset_index()


def link_utilisation_data(result: ResultFolder) -> pd.DataFrame:
    """Utilisation of each link (columns) by year (rows)."""
    links = result.tables["links"]
    frame = links.pivot_table(index="year", columns="link", values="utilisation", aggfunc="sum")
    frame.columns.name = None
    return frame.reset_index()


def cost_data(result: ResultFolder) -> pd.DataFrame:
    """Discounted MUSD by year (rows) and cost component (columns); the cells sum to the objective."""
    costs = result.tables["costs"]
    if "in_objective" in costs:  # both views are in costs.csv: plot the one the plan minimised
        costs = costs[costs.in_objective.astype(str).str.lower() == "true"]
    frame = costs.pivot_table(index="year", columns="component", values="discounted_musd", aggfunc="sum",
                              fill_value=0.0)
    frame = frame.reindex(columns=[c for c in COST_COLOURS if c in frame.columns])
    frame.columns.name = None
    return frame.rename(columns=lambda c: f"{c}_musd").reset_index()


def annual_cost_data(result: ResultFolder) -> pd.DataFrame:
    """Undiscounted MUSD of one calendar year, by modelled year (rows) and component (columns),
    with the calendar years each modelled year stands for (``represents``)."""
    costs = result.tables["costs"]
    if "in_objective" in costs:
        costs = costs[costs.in_objective.astype(str).str.lower() == "true"]
    frame = costs.pivot_table(index="year", columns="component", values="undiscounted_musd", aggfunc="sum",
                              fill_value=0.0)
    frame = frame.reindex(columns=[c for c in COST_COLOURS if c in frame.columns])
    frame.columns.name = None
    frame = frame.rename(columns=lambda c: f"{c}_musd").reset_index()
    if "represents_years" in costs:
        span = costs.drop_duplicates("year").set_index("year").represents_years.astype(str)
        frame.insert(1, "represents", frame.year.map(span))
    return frame


def plot_annual_costs(frame: pd.DataFrame) -> Figure:
    fig, ax = _subplots(figsize=(8, 4))
    data = frame.drop(columns=["represents"], errors="ignore")
    _stacked(ax, data, COST_COLOURS, "_musd")
    values = data.drop(columns="year")
    top, bottom = values.clip(lower=0).sum(axis=1).max(), values.clip(upper=0).sum(axis=1).min()
    ax.set_ylim(min(0.0, bottom * 1.08), max(top * 1.08, 1e-9))
    if "represents" in frame:
        ax.set_xticks(range(len(frame)), [f"{y}\n({r})" if str(r) != str(y) else str(y)
                                          for y, r in zip(frame.year, frame.represents)], fontsize=8)
    return _finish(fig, ax, "MUSD in one calendar year (undiscounted)", "Annual cost in each modelled year")


def tariffs_data(result: ResultFolder) -> pd.DataFrame:
    """Per candidate and committed project (tariffs.csv): break-even tariff, ceiling, offer, flip
    tariff (USD/MWh) and whether the plan builds it; empty for a folder without tariffs.csv."""
    path = result.path / "tariffs.csv"
    if not path.is_file():
        return pd.DataFrame()
    t = read_table(result.path, "tariffs")
    t = t[t.status.isin(["candidate", "committed"]) & t.break_even_tariff_usd_per_mwh.notna()]
    frame = t[["project", "status", "build_year", "break_even_tariff_usd_per_mwh", "ceiling_usd_per_mwh",
               "tariff_usd_per_mwh", "flip_tariff_usd_per_mwh"]].copy()
    frame["built"] = frame.build_year.notna()
    return frame.sort_values("break_even_tariff_usd_per_mwh").reset_index(drop=True)


def plot_tariffs(frame: pd.DataFrame) -> Figure:
    fig, ax = _subplots(figsize=(8, 0.3 * len(frame) + 1.5))
    y = range(len(frame))
    ax.barh(y, frame.break_even_tariff_usd_per_mwh, color=["#1f77b4" if b else "#c7c7c7" for b in frame.built],
            gid="break_even_tariff_usd_per_mwh", label="break-even (blue: in the plan)")
    ax.plot(frame.ceiling_usd_per_mwh, y, "|", color="#d62728", markersize=14, mew=2, label="ceiling",
            gid="ceiling_usd_per_mwh")
    ax.plot(frame.flip_tariff_usd_per_mwh, y, "x", color="black", label="flip tariff", gid="flip_tariff_usd_per_mwh")
    ax.set_yticks(list(y), frame.project, fontsize=8)
    ax.set_xlabel("USD/MWh at the border")
    fig_ = _finish(fig, ax, "", "Break-even tariffs against the ceilings", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="x", alpha=0.3)
    return fig_


def _finish(fig: Figure, ax, ylabel: str, title: str, **legend) -> Figure:
    """Labels, legend, grid and layout shared by every plot."""
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(frameon=False, **{"loc": "upper left", "fontsize": 8, **legend})
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def _stacked(ax, frame: pd.DataFrame, colours: dict[str, str], suffix: str) -> None:
    years = frame.year.astype(str)
    bottom = pd.Series(0.0, index=frame.index)
    for col in [c for c in frame.columns if c != "year"]:
        key = col[: -len(suffix)]
        ax.bar(years, frame[col], bottom=bottom, label=key, color=colours.get(key), gid=col)
        bottom = bottom + frame[col]


def plot_buildout(frame: pd.DataFrame) -> Figure:
    fig, ax = _subplots(figsize=(8, 4))
    _stacked(ax, frame, TECH_COLOURS, "_mw")
    return _finish(fig, ax, "online capacity (MW)", "Export projects online by year and technology")


def plot_imports(frame: pd.DataFrame) -> Figure:
    fig, ax = _subplots(figsize=(8, 4))
    for scope, rows in frame.groupby("scope", sort=False):
        ax.bar(rows.year.astype(str), rows.energy_gwh, label=f"{scope} imports", color="#1f77b4", gid="energy_gwh")
        ax.plot(rows.year.astype(str), rows.target_energy_gwh, "o-", color="#d62728", label=f"{scope} target",
                gid="target_energy_gwh")
    return _finish(fig, ax, "energy at the border (GWh/yr)", "Imports against the energy targets")


def plot_peak_imports(frame: pd.DataFrame) -> Figure:
    fig, ax = _subplots(figsize=(8, 4))
    years = frame.year.astype(str)
    slices = [c for c in frame.columns if c.endswith("_mw") and c != "target_capacity_mw"]
    width = 0.8 / max(1, len(slices))
    for i, col in enumerate(slices):
        x = [j + (i - (len(slices) - 1) / 2) * width for j in range(len(frame))]
        ax.bar(x, frame[col], width=width, label=col[:-3], gid=col)
    ax.plot(range(len(frame)), frame.target_capacity_mw, "o-", color="#d62728", label="firm capacity target",
            gid="target_capacity_mw")
    ax.set_xticks(range(len(frame)), years)
    return _finish(fig, ax, "MW absorbed in the slice", "Firm capacity: imports in the peak slices against the target")


def plot_link_utilisation(frame: pd.DataFrame) -> Figure:
    fig, ax = _subplots(figsize=(10, 4))
    for col in [c for c in frame.columns if c != "year"]:
        ax.plot(frame.year.astype(str), frame[col] * 100, "o-", label=col, gid=col)
    ax.set_ylim(0, 105)
    return _finish(fig, ax, "utilisation (% of online capacity x hours)", "Border gates: link utilisation by year",
                   fontsize=7, bbox_to_anchor=(1.01, 1.0))  # beside the axes: lines cross the whole plot


def plot_costs(frame: pd.DataFrame) -> Figure:
    fig, ax = _subplots(figsize=(8, 4))
    _stacked(ax, frame, COST_COLOURS, "_musd")
    return _finish(fig, ax, "net present cost (MUSD, discounted)", "Cost breakdown by modelled year")


FUTURE_TABLES = ("scenarios", "hedges")


def read_futures(result: ResultFolder) -> None:
    """A result of several futures (SPEC §3.4): scenarios.csv and hedges.csv into its tables."""
    for name in FUTURE_TABLES:
        path = result.path / f"{name}.csv"
        if path.is_file() and name not in result.tables:
            result.tables[name] = pd.read_csv(path)


def shown_future(result: ResultFolder) -> str | None:
    """The future the per-future plots show: the most probable (the first of equals); None for one future."""
    scen = result.tables.get("scenarios")
    if scen is None or scen.empty:
        return None
    return str(scen.sort_values("probability", ascending=False, kind="stable").scenario.iloc[0])


def future_costs_data(result: ResultFolder) -> pd.DataFrame:
    """Each future's cost under the plan, its own optimum, and the average-year plan's cost in it."""
    scen = result.tables["scenarios"]
    cols = ["scenario", "probability", "hydro_energy_factor", "cost_musd", "own_optimum_musd", "regret_musd",
            "average_year_plan_cost_musd"]
    return scen[[c for c in cols if c in scen.columns]].reset_index(drop=True)


def plot_future_costs(frame: pd.DataFrame) -> Figure:
    fig, ax = _subplots(figsize=(9, 4))
    x = range(len(frame))
    width = 0.27
    series = [("cost_musd", "the plan", "#1f77b4"), ("own_optimum_musd", "its own optimum", "#2ca02c"),
              ("average_year_plan_cost_musd", "the average-year plan", "#d62728")]
    for k, (col, label, colour) in enumerate(series):
        if col in frame:
            ax.bar([i + (k - 1) * width for i in x], frame[col].astype(float), width, label=label, color=colour)
    ax.set_xticks(list(x))
    ax.set_xticklabels([f"{s}\np={p:g}" for s, p in zip(frame.scenario, frame.probability)])
    ax.axhline(0, color="#888", linewidth=0.8)
    return _finish(fig, ax, "net present cost (MUSD; below 0: a net benefit)", "Cost by future",
                   loc="upper left", bbox_to_anchor=(1.0, 1.0))


def plots(result: ResultFolder) -> list[Plot]:
    """Every plot of the report, data first (for several futures: the cost by future first, then
    the plots of the most probable future)."""
    read_futures(result)
    future = shown_future(result)
    out = []
    if future is not None:
        data = future_costs_data(result)
        out.append(Plot("future_costs", "Cost by future",
                        "Each future's net present cost under the one plan, beside its own optimum (had it been "
                        "known: the gap is the regret) and the average-year plan's cost in it (the value of the "
                        "stochastic solution is the expected gap).", data, plot_future_costs(data)))
        result = one_future(result, future)
    specs = [
        ("buildout", "Build-out", "Online MW of export projects per modelled year, stacked by technology.",
         buildout_data, plot_buildout),
        ("imports", "Imports vs targets", "Energy delivered at the border against the energy target.",
         imports_data, plot_imports),
        ("firm_capacity", "Firm capacity in peak slices",
         "MW absorbed by the importing country in each peak slice against the firm-capacity target.",
         peak_imports_data, plot_peak_imports),
        ("link_utilisation", "Link utilisation", "Energy sent over each link / (online MW x hours of the year).",
         link_utilisation_data, plot_link_utilisation),
        ("annual_costs", "Annual cost", "What one calendar year costs in each modelled year, by component "
                                        "(undiscounted); under each year, the calendar years it stands for.",
         annual_cost_data, plot_annual_costs),
        ("costs", "Cost breakdown", "Each modelled year's share of the net present cost, by component: "
                                    "discounted, and counting every calendar year the modelled year stands for "
                                    "(so a last year standing for several years has a tall bar); the bars add up "
                                    "to the objective.", cost_data, plot_costs),
        ("tariffs", "Tariffs", "Each candidate's and committed plant's break-even tariff at the border "
                               "(capex at the developer's cost of capital over the PPA term, O&M, its connection), "
                               "its ceiling, and the flip tariff: the tariff at which the importer's plan "
                               "stops (or starts) buying from it (planner solve --flip-tariffs).",
         tariffs_data, plot_tariffs),
    ]
    for name, title, caption, data_fn, plot_fn in specs:
        data = data_fn(result)
        if data.empty and name == "tariffs":  # a result folder written before tariffs.csv
            continue
        if future is not None:
            title, caption = f"{title} (future {future})", f"{caption} In the future '{future}' (the most probable)."
        out.append(Plot(name, title, caption, data, plot_fn(data)))
    return out


def _subplots(figsize: tuple[float, float]):
    """A figure and its axes, not registered with pyplot: nothing is left open to close (pyplot
    keeps every figure it made until closed, and warns past 20), and the figure goes with its last
    reference, whatever fails between drawing and saving it."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def table_html(frame: pd.DataFrame) -> str:
    """A table as HTML for a report (years plain, numbers to two decimals), in a scrolling wrapper."""
    frame = frame.astype({c: "Int64" for c in frame.columns if c in ("year", "build_year")})
    table = frame.to_html(index=False, float_format=lambda v: f"{v:,.2f}", border=0, classes="data", na_rep="")
    return f"<div class='wrap'>{table}</div>"


def render_html(result: ResultFolder, figures: list[Plot], pngs: dict[str, bytes]) -> str:
    """One page, every image inline, every table under its image."""
    s = result.summary
    e = html.escape
    builds = result.tables["builds"]
    new = builds[builds.status == "candidate"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>planner report: {e(str(s.get('scenario', result.label)))}</title>",
        "<style>body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222}"
        "table.data{border-collapse:collapse;font-size:12px;margin:0.5em 0 2em}"
        "table.data td,table.data th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
        "img{max-width:100%}.wrap{overflow-x:auto}</style></head><body>",
        f"<h1>{e(str(s.get('scenario', result.label)))}</h1>",
        f"<p>Status <b>{e(str(s.get('status')))}</b>; net present cost <b>{s.get('objective_musd', 0):,.1f} MUSD</b>"
        f" (discounted to the base year); build mode {e(str(s.get('build_mode')))}; results in "
        f"<code>{e(str(result.path))}</code>.</p>",
        "<h2>New builds</h2>",
        table_html(new.drop(columns=["status"])) if len(new) else "<p>Nothing new is built.</p>",
    ]
    if "hedges" in result.tables:
        parts += ["<h2 id='futures'>One plan for several futures</h2>",
                  f"<p>Risk measure <b>{e(str(s.get('risk_measure')))}</b>; expected cost "
                  f"<b>{_musd(s.get('expected_cost_musd'))} MUSD</b>; value of the stochastic solution (VSS) "
                  f"<b>{_musd(s.get('vss_musd'))} MUSD</b>; expected value of perfect information (EVPI) "
                  f"<b>{_musd(s.get('evpi_musd'))} MUSD</b>.</p>",
                  "<h3>No-regret builds and hedges</h3><p>no_regret: in the plan and in every future's own plan; "
                  "hedge: in the plan, not in every future's own plan; bet: in some future's own plan only; "
                  "never: in none.</p>", table_html(result.tables["hedges"])]
    for p in figures:
        data = base64.b64encode(pngs[p.name]).decode("ascii")
        parts += [f"<h2 id='{p.name}'>{e(p.title)}</h2>",
                  f"<img alt='{e(p.title)}' src='data:image/png;base64,{data}'>",
                  f"<p>{e(p.caption)}</p>", table_html(p.data)]
    parts.append("<p id='rendered' data-images=''></p><script>window.addEventListener('load',function(){"
                 "var ok=Array.from(document.images).filter(function(i){return i.complete&&i.naturalWidth>0;});"
                 "document.getElementById('rendered').dataset.images=String(ok.length);});</script>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _musd(value) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def write_report(result_dir: Path, out_html: Path | None = None, force: bool = False) -> tuple[Path, Path, list[Plot]]:
    """Write ``out_html`` (default ``<result_dir>/report.html``) and the PNGs in ``<stem>_figures/``
    beside it, both replacing an earlier report only once the new one is complete. A folder written
    by ``planner explore`` has its own page (explore_report.write_explore_report, which builds on this
    module; ``planner report`` chooses between them)."""
    result = read_result(Path(result_dir))
    return write_page(Path(result_dir), out_html, force, lambda: plots(result),
                      lambda figures, pngs: render_html(result, figures, pngs))


def write_page(source: Path, out_html: Path | None, force: bool, draw: Callable[[], list[Plot]],
               render: Callable[[list[Plot], dict[str, bytes]], str]) -> tuple[Path, Path, list[Plot]]:
    """Draw the figures of the folder ``source`` (``draw``), then write the page ``render`` makes of
    them (default ``<source>/report.html``) and the PNGs with their data in ``<stem>_figures/``, both
    replacing an earlier report only once the new one is complete."""
    out_html = Path(out_html) if out_html else source / "report.html"
    png_dir = out_html.with_name(f"{out_html.stem}_figures")
    # the page and its figures may go into the result folder (the default), never onto what is read
    reads = [p for p in sorted(source.iterdir())
             if p.is_file() and not p.name.startswith(".") and p.suffix in (".csv", ".json", ".yaml")]
    check_file_and_folder(out_html, png_dir, force, protected=reads)  # before the plots are drawn
    figures = draw()
    pngs = {p.name: _png(p.figure) for p in figures}

    def fill(folder: Path, page: Path) -> None:
        for name, png in pngs.items():
            (folder / f"{name}.png").write_bytes(png)
        for p in figures:
            p.data.to_csv(folder / f"{p.name}.csv", index=False)
        page.write_text(render(figures, pngs), encoding="utf-8")

    write_file_and_folder(out_html, png_dir, fill, force=force, protected=reads, command="planner report")
    return out_html, png_dir, figures
