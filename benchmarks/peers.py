"""Benchmark against a peer: planner and PyPSA on the same generated scenario, each as a whole process.

    python benchmarks/peers.py                                   # bench60, best of 3; PyPSA from this interpreter
    python benchmarks/peers.py --sizes bench60 small --repeat 3
    python benchmarks/peers.py --sizes bench60 --python-pypsa /path/to/venv/bin/python

PyPSA is an optional extra, never a dependency of planner: `pip install 'planner[peers]'` puts it
beside planner, or keep it in a venv of its own and name its interpreter with --python-pypsa:

    python3 -m venv /tmp/peers-venv && /tmp/peers-venv/bin/pip install 'pypsa>=1.2' highspy
    python benchmarks/peers.py --sizes bench60 small --python-pypsa /tmp/peers-venv/bin/python

For each size (benchmarks/run.py's SIZES; bench60 is issue 10's 60-project case) the scenario is
written once to a temporary scenario.yaml (as JSON, which is YAML too: planner reads it as YAML,
the PyPSA child with the json module, so the PyPSA venv needs no YAML library). Then, each in a
process of its own, best wall clock of --repeat runs and the peak RSS of that process (os.wait4):

- `planner solve scenario.yaml --out DIR --quiet`: read, build, solve (with duals and the targets'
  re-solved values), write every CSV, the workbook and summary.json;
- PyPSA: this file run with --pypsa-child by the PyPSA interpreter: read the scenario, build the
  network, `n.optimize(multi_investment_periods=True, solver_name="highs")` with the targets in
  `extra_functionality`, write the solved network (`n.export_to_netcdf`);
- `planner --help` beside `python -c "import pypsa"` (what each pays before doing anything).

The ratio is PyPSA s / planner s: how many times faster planner is (issue 10 asks for >= 7 on
bench60). If the PyPSA interpreter cannot import pypsa, planner's rows are printed alone with how
to install it.

How the PyPSA network states planner's LP (docs/formulation.md), costs in MUSD as planner has them:
- snapshots (period = modelled year, timestep = slice); snapshot weightings = slice hours;
  investment period weightings: objective = W_y (the discount factors of the calendar years y
  stands for, as planner.finance.year_weights), years = how many calendar years y stands for.
- buses = nodes. At each node of the importing country a sink, a Generator with p_min_pu = -1,
  p_max_pu = 0 and no cost: its -p is planner's imports[n,y,s] (p_nom = max_import_mw, else the
  total MW of every project, which never binds).
- projects: an existing one is a fixed Generator, always online. A candidate is one extendable
  Generator per modelled year y of its build window (build_year = y, lifetime, p_nom_max =
  capacity_mw, capital_cost = (annuity + fixed O&M) per MW and year), with an extra constraint
  sum over its build years of p_nom <= capacity_mw: planner's build[a,y] with sum_y build <= 1.
  Under `build: integer` a fixed-size candidate (project or link) gets p_nom_mod = capacity_mw
  (PyPSA's modular expansion: an integer n_mod in {0, 1}). marginal_cost = energy cost, p_max_pu
  = availability (project > technology, slice > season, else 1).
- max_energy_gwh_per_year: an extra constraint per generator and year, sum_s h_s p / 1000 <=
  max_energy (existing) or <= max_energy / capacity_mw x p_nom (a build year's Generator of a
  candidate): planner's limit scaled by the online fraction.
- links: efficiency 1 - loss_fraction; a bidirectional link is two Links (from->to and to->from).
  A candidate is one Link per build year (and a reverse Link at no cost whose p_nom equals the
  forward one's), sum over build years of p_nom <= capacity_mw, capital_cost = (capex_musd x
  CRF(r, lifetime) + fixed O&M) per MW.
- targets (scope: a country code or a node id), through extra_functionality with linopy:
  sum_{n in scope, s} h_s imports / 1000 + energy_shortfall[y] >= energy_gwh and, in every peak
  slice, sum_{n in scope} imports + capacity_shortfall[y] >= capacity_mw; the shortfalls, priced
  at options.shortfall_penalty_usd_per_mwh and capacity_shortfall_penalty_usd_per_kw_year and
  weighted by W_y, are added to PyPSA's objective.
- HiGHS with the scenario's options.solver time_limit_s and mip_gap, its LP method left to HiGHS
  (`choose`, as planner's default), on both sides.

The optimum is the same LP's, so the objectives agree (bench60 and small: to 1e-14 relative). PyPSA
leaves the fixed O&M of existing (non-extendable) assets out of its objective: the PyPSA column
adds that constant, sum_y W_y x their fixed O&M, back. What differs is the formulation, not the
optimum: PyPSA has a dispatch column and an availability row for each build year's Generator of a
candidate in every snapshot (planner: one dispatch column per project, year and slice, bounded
through its `online` variable), and columns also where availability is 0 (solar at night); its LP
is about 3x planner's columns and 6x its rows (printed below the table), on which HiGHS's dual
simplex (what `choose` picks) takes ~70k iterations, most of PyPSA's time on bench60 (in one run
with `solver: ipm` passed to HiGHS it took 41 s instead of ~105 s: not what is measured here).
Under `build: integer` (the `small` size) both are MILPs solved to options.solver.mip_gap (1 %), so
the objectives may differ within that gap. planner also re-solves for the targets' values and
writes the workbook; PyPSA assigns its LP's duals to the network and writes one netCDF file. Only
what benchmarks/run.py's scenarios use is translated (no storage, requires/excludes, limits,
online_year or committed assets, pondage/reservoir hydro, importer perspective): a scenario with
anything else is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
INSTALL_HINT = ("pypsa is not importable by {python}. Install it beside planner with "
                "`pip install 'planner[peers]'`, or in a venv of its own "
                "(`python3 -m venv /tmp/peers-venv && /tmp/peers-venv/bin/pip install 'pypsa>=1.2' highspy`) "
                "and pass --python-pypsa /tmp/peers-venv/bin/python.")


# ----------------------------------------------------------------------------------------------
# The PyPSA side: runs in the PyPSA interpreter (--pypsa-child), imports nothing from planner.
# ----------------------------------------------------------------------------------------------

def _crf(rate: float, n: int) -> float:
    """Capital recovery factor, as planner.finance.crf."""
    if rate == 0:
        return 1.0 / n
    g = (1 + rate) ** n
    return rate * g / (g - 1)


def _year_weights(years: list[int], base_year: int, rate: float, end_year: int | None) -> tuple[dict, dict]:
    """W_y (sum of the discount factors of the calendar years y stands for) and how many years y stands for."""
    bounds = years[1:] + [(end_year if end_year is not None else years[-1]) + 1]
    weight = {y: sum((1 + rate) ** -(t - base_year) for t in range(y, nxt)) for y, nxt in zip(years, bounds)}
    return weight, {y: nxt - y for y, nxt in zip(years, bounds)}


def _refuse_unsupported(sc: dict) -> None:
    """Stop on a scenario feature this translation does not carry (see the module docstring)."""
    opts = sc.get("options", {})
    problems = [k for k in ("limits",) if sc.get(k)] + [f"time.{k}" for k in set(sc["time"]) - {"slices"}]
    problems += [f"options.{k}" for k in ("perspective", "strict_targets", "import_value_usd_per_mwh")
                 if opts.get(k) not in (None, False, "system")]
    allowed_p = {"id", "name", "technology", "node", "status", "capacity_mw", "capex_usd_per_kw",
                 "fixed_om_usd_per_kw_year", "energy_cost_usd_per_mwh", "sizing", "earliest_year",
                 "latest_year", "max_energy_gwh_per_year", "lifetime_years", "availability", "source"}
    allowed_l = {"id", "name", "from", "to", "capacity_mw", "status", "capex_musd", "capex_usd_per_mw_km",
                 "length_km", "loss_fraction", "bidirectional", "earliest_year", "latest_year", "sizing",
                 "lifetime_years", "fixed_om_musd_per_year", "source"}
    for kind, allowed in (("projects", allowed_p), ("links", allowed_l)):
        for a in sc.get(kind, []):
            problems += [f"{kind}[{a['id']}].{k}" for k in set(a) - allowed]
            if a["status"] == "committed":
                problems.append(f"{kind}[{a['id']}].status committed")
    for t in sc.get("technologies", {}).values():
        problems += [f"technologies.{k}" for k in set(t) - {"lifetime_years", "availability", "capex_usd_per_kw",
                                                            "fixed_om_usd_per_kw_year", "energy_cost_usd_per_mwh",
                                                            "description"}]
    if problems:
        raise SystemExit(f"peers.py: the PyPSA translation does not carry {sorted(set(problems))}")


def pypsa_child(scenario_path: Path, out: Path) -> dict:
    """Read the scenario, build the PyPSA network, solve it with HiGHS, write it; return what was measured."""
    t0 = time.perf_counter()
    import numpy as np
    import pandas as pd
    import pypsa
    import xarray as xr

    t_import = time.perf_counter()
    sc = json.loads(scenario_path.read_text())
    _refuse_unsupported(sc)
    h, opts = sc["horizon"], sc.get("options", {})
    years, rate = list(h["years"]), h["discount_rate"]
    weight, span = _year_weights(years, h["base_year"], rate, h.get("end_year"))
    slices = sc["time"]["slices"]
    slice_ids = [s["id"] for s in slices]
    hours = {s["id"]: float(s["hours"]) for s in slices}
    season = {s["id"]: s.get("season") for s in slices}
    peak = [s["id"] for s in slices if s.get("peak")]
    importing = opts.get("importing_country", "VN")
    node_country = {nd["id"]: nd["country"] for nd in sc["nodes"]}
    importing_nodes = [nd["id"] for nd in sc["nodes"] if nd["country"] == importing]
    max_import = {nd["id"]: nd.get("max_import_mw") for nd in sc["nodes"]}
    techs = sc["technologies"]
    integer = opts.get("build", "integer") == "integer"

    if hasattr(pypsa.options, "api") and hasattr(pypsa.options.api, "legacy_string_dtype"):
        pypsa.options.api.legacy_string_dtype = True  # PyPSA 1.x's behaviour, said explicitly (silences a warning)
    n = pypsa.Network()
    n.set_snapshots(pd.MultiIndex.from_product([years, slice_ids], names=["period", "timestep"]))
    n.set_investment_periods(years)
    for column in n.snapshot_weightings.columns:  # objective, generators, stores: the slice hours
        n.snapshot_weightings[column] = np.tile([hours[s] for s in slice_ids], len(years))
    n.investment_period_weightings["objective"] = pd.Series(weight)
    n.investment_period_weightings["years"] = pd.Series(span)
    n.add("Carrier", sorted(techs) + ["import", "link", "AC"])
    n.add("Bus", [nd["id"] for nd in sc["nodes"]], carrier="AC")

    def availability(p: dict) -> list[float]:
        """per slice: project slice > project season > technology slice > technology season > 1.0"""
        own, tech = p.get("availability") or {}, techs[p["technology"]].get("availability") or {}
        return [next((src[k] for src in (own, tech) for k in (s, season[s]) if k in src), 1.0) for s in slice_ids]

    def window(a: dict) -> list[int]:
        lo, hi = a.get("earliest_year", years[0]), a.get("latest_year", years[-1])
        return [y for y in years if lo <= y <= hi]

    # projects: existing -> fixed generator; candidate -> one extendable generator per build year
    gens, p_max_pu = [], {}
    existing_fom_musd = 0.0  # PyPSA leaves non-extendable capital costs out of its objective
    capacity = {a["id"]: float(a["capacity_mw"]) for a in sc["projects"] + sc.get("links", [])}
    vintage_of: dict[str, list[str]] = {}  # candidate project -> its generators
    energy_limit: dict[str, tuple[float, bool]] = {}  # generator -> (GWh a year, or GWh a year per MW; per MW?)
    for p in sc["projects"]:
        tech = techs[p["technology"]]
        get = lambda k, d=0.0: p.get(k, tech.get(k, d))  # noqa: E731  (a project's value wins)
        cap, life = float(p["capacity_mw"]), int(get("lifetime_years", 30))
        fom_musd = get("fixed_om_usd_per_kw_year") * cap / 1000.0
        avail = availability(p)
        row = dict(bus=p["node"], marginal_cost=float(get("energy_cost_usd_per_mwh")) / 1e6,
                   carrier=p["technology"])
        e_max = p.get("max_energy_gwh_per_year")
        if p["status"] == "existing":
            gens.append(dict(name=p["id"], p_nom=cap, **row))
            names = [p["id"]]
            existing_fom_musd += fom_musd
            if e_max is not None:
                energy_limit[p["id"]] = (e_max, False)
        else:
            annuity_musd = get("capex_usd_per_kw") * cap / 1000.0 * _crf(rate, life)
            names = vintage_of[p["id"]] = [f"{p['id']}@{y}" for y in window(p)]
            for name, y in zip(names, window(p)):
                gens.append(dict(name=name, p_nom_extendable=True, p_nom_max=cap, build_year=y, lifetime=life,
                                 capital_cost=(annuity_musd + fom_musd) / cap,
                                 p_nom_mod=cap if integer and p.get("sizing", "fixed") == "fixed" else 0.0, **row))
                if e_max is not None:
                    energy_limit[name] = (e_max / cap, True)
        for name in names:
            p_max_pu[name] = avail * len(years)
    total_mw = sum(float(p["capacity_mw"]) for p in sc["projects"])
    # sinks: what the importing nodes absorb (planner's imports[n,y,s] = -p)
    gens += [dict(name=f"import-{nd}", bus=nd, p_nom=max_import[nd] or total_mw, p_min_pu=-1.0, p_max_pu=0.0,
                  carrier="import") for nd in importing_nodes]
    gen_defaults = dict(p_nom=0.0, p_nom_extendable=False, p_nom_max=np.inf, build_year=0, lifetime=np.inf,
                        capital_cost=0.0, p_nom_mod=0.0, p_min_pu=0.0, p_max_pu=1.0, marginal_cost=0.0)
    g = pd.DataFrame([{**gen_defaults, **r} for r in gens]).set_index("name")
    n.add("Generator", g.index, **{k: g[k] for k in g.columns})
    n.generators_t.p_max_pu = pd.DataFrame(p_max_pu, index=n.snapshots)

    # links: two Links for a bidirectional one; a candidate's per build year, the reverse one at no cost
    links, pairs, link_vintages = [], [], {}
    for lk in sc.get("links", []):
        cap, life = float(lk["capacity_mw"]), int(lk.get("lifetime_years", 40))
        capex = lk.get("capex_musd", lk.get("capex_usd_per_mw_km", 0.0) * cap * lk.get("length_km", 0.0) / 1e6)
        fom = lk.get("fixed_om_musd_per_year", 0.0)
        row = dict(efficiency=1.0 - lk.get("loss_fraction", 0.0), carrier="link")
        module = cap if integer and lk.get("sizing", "fixed") == "fixed" else 0.0  # built whole: n_mod in {0, 1}
        ends = [(lk["from"], lk["to"], "")] + ([(lk["to"], lk["from"], "-rev")] if lk.get("bidirectional") else [])
        if lk["status"] == "existing":
            existing_fom_musd += fom
            links += [dict(name=lk["id"] + sfx, bus0=a, bus1=b, p_nom=cap, **row) for a, b, sfx in ends]
            continue
        link_vintages[lk["id"]] = []
        for y in window(lk):
            name = f"{lk['id']}@{y}"
            link_vintages[lk["id"]].append(name)
            for a, b, sfx in ends:
                links.append(dict(name=name + sfx, bus0=a, bus1=b, p_nom_extendable=True, p_nom_max=cap,
                                  build_year=y, lifetime=life, **row, p_nom_mod=0.0 if sfx else module,
                                  capital_cost=(capex * _crf(rate, life) + fom) / cap if not sfx else 0.0))
                if sfx:
                    pairs.append((name, name + sfx))
    link_defaults = dict(p_nom=0.0, p_nom_extendable=False, p_nom_max=np.inf, build_year=0, lifetime=np.inf,
                         capital_cost=0.0, p_nom_mod=0.0)
    lf = pd.DataFrame([{**link_defaults, **r} for r in links]).set_index("name")
    n.add("Link", lf.index, **{k: lf[k] for k in lf.columns})

    # targets: the latest row with year <= y that gives the quantity, per scope
    energy_t: dict[tuple[str, int], float] = {}
    capacity_t: dict[tuple[str, int], float] = {}
    for t in sorted(sc.get("targets", []), key=lambda t: t["year"]):
        for y in years:
            if y >= t["year"]:
                if t.get("energy_gwh") is not None:
                    energy_t[(t["scope"], y)] = t["energy_gwh"]
                if t.get("capacity_mw") is not None:
                    capacity_t[(t["scope"], y)] = t["capacity_mw"]
    scope_sinks = {sc_: [f"import-{nd}" for nd in importing_nodes if nd == sc_ or node_country[nd] == sc_]
                   for sc_, _ in list(energy_t) + list(capacity_t)}
    pen_e = opts.get("shortfall_penalty_usd_per_mwh", 500.0) / 1000.0  # MUSD per GWh short
    pen_c = opts.get("capacity_shortfall_penalty_usd_per_kw_year", 300.0) / 1000.0  # MUSD per MW short, a year
    hours_da = xr.DataArray(np.tile([hours[s] for s in slice_ids], len(years)),
                            coords={"snapshot": n.snapshots}, dims="snapshot")

    def extra_functionality(n: pypsa.Network, _snapshots) -> None:
        m = n.model
        gp, gnom, lnom = m["Generator-p"], m["Generator-p_nom"], m["Link-p_nom"]
        # build once: the build years of a candidate add up to at most its capacity
        for kind, nom, vint in (("Generator", gnom, vintage_of), ("Link", lnom, link_vintages)):
            names = [v for vs in vint.values() for v in vs]
            if names:
                owner = xr.DataArray([a for a, vs in vint.items() for _ in vs], coords={"name": names},
                                     dims="name", name="asset")
                cap = xr.DataArray([capacity[a] for a in sorted(vint)], coords={"asset": sorted(vint)}, dims="asset")
                m.add_constraints(nom.sel(name=names).groupby(owner).sum() <= cap, name=f"{kind}-build_once")
        # a bidirectional candidate link: the reverse Link has the forward one's p_nom
        if pairs:
            fwd, rev = [a for a, _ in pairs], [b for _, b in pairs]
            key = xr.DataArray(fwd + fwd, coords={"name": fwd + rev}, dims="name", name="pair")
            sign = xr.DataArray([1.0] * len(fwd) + [-1.0] * len(rev), coords={"name": fwd + rev}, dims="name")
            m.add_constraints((lnom.sel(name=fwd + rev) * sign).groupby(key).sum() == 0, name="Link-both_ways")
        # max_energy_gwh_per_year, per generator and year
        if energy_limit:
            names = list(energy_limit)
            energy = (gp.sel(name=names).fillna(0) * hours_da / 1000.0).groupby("period").sum()  # GWh (period, name)
            fixed = [k for k in names if not energy_limit[k][1]]
            per_mw = [k for k in names if energy_limit[k][1]]
            if fixed:
                rhs = xr.DataArray([energy_limit[k][0] for k in fixed], coords={"name": fixed}, dims="name")
                m.add_constraints(energy.sel(name=fixed) <= rhs, name="Generator-energy_limit_fixed")
            if per_mw:
                ratio = xr.DataArray([energy_limit[k][0] for k in per_mw], coords={"name": per_mw}, dims="name")
                m.add_constraints(energy.sel(name=per_mw) - ratio * gnom.sel(name=per_mw) <= 0,
                                  name="Generator-energy_limit")
        # import targets with priced shortfalls
        penalty = 0
        w = xr.DataArray([weight[y] for y in years], coords={"period": years}, dims="period")
        for scope in sorted({s for s, _ in energy_t}):
            target = xr.DataArray([energy_t.get((scope, y), 0.0) for y in years], coords={"period": years},
                                  dims="period")
            short = m.add_variables(lower=0, coords=[pd.Index(years, name="period")], name=f"energy_shortfall-{scope}")
            delivered = (-gp.sel(name=scope_sinks[scope]) * hours_da / 1000.0).sum("name").groupby("period").sum()
            m.add_constraints(delivered + short >= target, name=f"energy_target-{scope}")
            penalty = penalty + (short * w * pen_e).sum()
        for scope in sorted({s for s, _ in capacity_t}):
            short = m.add_variables(lower=0, coords=[pd.Index(years, name="period")],
                                    name=f"capacity_shortfall-{scope}")
            absorbed = (-gp.sel(name=scope_sinks[scope])).sum("name")
            for y in years:
                if (scope, y) in capacity_t:
                    firm = absorbed.sel(snapshot=[(y, s) for s in peak])
                    with warnings.catch_warnings():  # linopy 0.10 warns that v1 will want a flat snapshot dim
                        warnings.simplefilter("ignore", FutureWarning)
                        m.add_constraints(firm + short.sel(period=y, drop=True) >= capacity_t[(scope, y)],
                                          name=f"capacity_target-{scope}-{y}")
            penalty = penalty + (short * w * pen_c).sum()
        if not isinstance(penalty, int):
            m.objective = m.objective.expression + penalty

    t_build = time.perf_counter()
    solver = opts.get("solver", {})
    options = {"time_limit": float(solver.get("time_limit_s", 600)), "mip_rel_gap": float(solver.get("mip_gap", 0.005))}
    status, condition = n.optimize(multi_investment_periods=True, solver_name="highs", solver_options=options,
                                   extra_functionality=extra_functionality, include_objective_constant=False,
                                   log_to_console=False)
    t_solve = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    n.export_to_netcdf(out / "network.nc")
    t_write = time.perf_counter()
    constant = existing_fom_musd * sum(weight.values())
    return {"status": f"{status} {condition}", "objective_musd": n.objective + constant,
            "columns": int(n.model.nvars), "rows": int(n.model.ncons), "import_s": t_import - t0,
            "network_s": t_build - t_import, "optimize_s": t_solve - t_build, "write_s": t_write - t_solve}


# ----------------------------------------------------------------------------------------------
# The harness: runs in planner's interpreter.
# ----------------------------------------------------------------------------------------------

def timed(cmd: list[str], cwd: Path | None = None, env: dict | None = None, log: Path | None = None,
          check: bool = True) -> dict:
    """Run cmd as a child process: wall clock, its own peak RSS (os.wait4), its exit status and its
    last stdout line. ``log``: the child's stdout and stderr go to that file as it runs (to follow a
    long run) instead of a temporary file. ``check``: raise when it exits non-zero."""
    with (open(log, "w+b") if log else tempfile.TemporaryFile()) as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT if log else err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0), err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{(stderr or stdout)[-3000:]}")
    lines = stdout.strip().splitlines()
    return {"s": seconds, "peak_mb": usage.ru_maxrss / 1024, "exit": proc.returncode, "last": lines[-1] if lines else "",
            "output": stdout + stderr}


def markdown_table(header: list[str], rows: list[list[str]], right: tuple[int, ...] = ()) -> str:
    """A Markdown table of text cells (the benchmarks print theirs so, to paste into the README);
    the columns numbered in ``right`` right-aligned."""
    rule = ["---:" if j in right else "---" for j in range(len(header))]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [header, rule, *rows])


def best(runs: list[dict]) -> dict:
    """The fastest run, with the highest peak RSS of them all (memory does not vary much; be safe)."""
    fastest = min(runs, key=lambda r: r["s"])
    return {**fastest, "peak_mb": max(r["peak_mb"] for r in runs)}


def planner_command() -> list[str]:
    """The `planner` script of this interpreter's environment."""
    script = Path(sys.executable).with_name("planner")
    if not script.exists():
        raise SystemExit(f"no `planner` script beside {sys.executable}: pip install -e . first")
    return [str(script)]


def has_pypsa(python: str) -> str | None:
    """pypsa's version as seen by that interpreter, or None."""
    proc = subprocess.run([python, "-c", "import pypsa, linopy, highspy, importlib.metadata as m; "
                                         "print(pypsa.__version__, linopy.__version__, m.version('highspy'))"],
                          capture_output=True, text=True)
    return proc.stdout.strip() if proc.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=["bench60"], help="sizes of benchmarks/run.py (SIZES)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command; the best wall clock is shown")
    parser.add_argument("--python-pypsa", default=sys.executable, help="a Python interpreter that has pypsa")
    parser.add_argument("--keep", type=Path, help="write the scenarios and results here, and keep them")
    parser.add_argument("--pypsa-child", nargs=2, type=Path, metavar=("SCENARIO", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pypsa_child:
        print(json.dumps(pypsa_child(*args.pypsa_child)))
        return

    sys.path.insert(0, str(HERE))
    from run import SIZES, scenario  # the generated scenarios of benchmarks/run.py

    unknown = [s for s in args.sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown sizes {unknown}; choose from {list(SIZES)}")
    versions = has_pypsa(args.python_pypsa)
    if versions is None:
        print(INSTALL_HINT.format(python=args.python_pypsa), file=sys.stderr)
    planner = planner_command()
    work = args.keep or Path(tempfile.mkdtemp(prefix="planner-peers-"))
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()
    rows = []  # {what, planner, pypsa (or None), objectives, notes}
    failed = ""  # why PyPSA's runs stopped, if they did
    try:
        rows.append({"what": "`planner --help` / `python -c 'import pypsa'`",
                     "planner": best([timed([*planner, "--help"]) for _ in range(args.repeat)]),
                     "pypsa": best([timed([args.python_pypsa, "-c", "import pypsa"]) for _ in range(args.repeat)])
                     if versions else None})
        for size in args.sizes:
            n_projects, n_years, n_slices, build = SIZES[size]
            path = work / size / "scenario.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(scenario(n_projects, n_years, n_slices, build), indent=1))  # JSON is YAML
            runs_p, runs_y, summary, child = [], [], {}, None
            for i in range(args.repeat):  # alternate the two, so a busy spell hits both alike
                out = work / size / f"planner-{i}"
                runs_p.append(timed([*planner, "solve", str(path), "--out", str(out), "--quiet"]))
                summary = json.loads((out / "summary.json").read_text())
                if versions and not failed:
                    try:
                        r = timed([args.python_pypsa, str(Path(__file__).resolve()), "--pypsa-child", str(path),
                                   str(work / size / f"pypsa-{i}")])
                    except RuntimeError as e:  # e.g. a PyPSA release that does not work with this xarray
                        failed = f"the PyPSA run failed, so its columns are empty: {e}"
                        print(failed, file=sys.stderr)
                        continue
                    runs_y.append(r)
                    child = json.loads(r["last"])
                print(f"done {size} run {i + 1}/{args.repeat}", file=sys.stderr)
            notes = [f"planner LP {summary['n_variables']:,} columns x {summary['n_constraints']:,} rows "
                     f"({summary['status']})"]
            if child:
                notes.append(f"PyPSA LP {child['columns']:,} columns x {child['rows']:,} rows ({child['status']}); "
                             f"PyPSA's last run: import {child['import_s']:.1f} s, network {child['network_s']:.1f} s, "
                             f"optimize {child['optimize_s']:.1f} s, write {child['write_s']:.1f} s")
            rows.append({"what": f"{size} ({n_projects} projects, {n_years} years, {n_slices} slices, {build}): "
                                 "whole solve",
                         "planner": best(runs_p), "pypsa": best(runs_y) if runs_y else None,
                         "objectives": (summary["objective_musd"], child["objective_musd"] if child else None),
                         "notes": notes})
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    cells = []
    for r in rows:
        p, y = r["planner"], r["pypsa"]
        obj_p, obj_y = r.get("objectives", (None, None))
        cells.append([r["what"], f"{p['s']:.2f}", f"{y['s']:.2f}" if y else "", f"{y['s'] / p['s']:.1f}x" if y else "",
                      f"{p['peak_mb']:,.0f}", f"{y['peak_mb']:,.0f}" if y else "",
                      f"{obj_p:,.4f}" if obj_p is not None else "", f"{obj_y:,.4f}" if obj_y is not None else ""])
    print(markdown_table(["what", "planner s", "PyPSA s", "ratio", "planner peak MB", "PyPSA peak MB",
                          "planner objective MUSD", "PyPSA objective MUSD"], cells, right=tuple(range(1, 8))))
    print()
    for r in rows:
        for note in r.get("notes", []):
            print(f"{r['what'].split(' ')[0]}: {note}")
    print(f"ratio = PyPSA s / planner s; wall clock of the whole process, best of {args.repeat}; peak = max RSS; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after; "
          f"pypsa, linopy, highspy (PyPSA side): {versions or 'not installed'}")
    if versions is None:
        print(INSTALL_HINT.format(python=args.python_pypsa))
    if failed:
        print(failed.splitlines()[0] + " (its error is on stderr)")


if __name__ == "__main__":
    main()
