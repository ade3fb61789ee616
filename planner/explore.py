"""Options for the negotiating table (``planner explore``, SPEC §3.5): what each decision is worth,
which plans cost nearly the same, and which assumptions change the answer.

Three studies around one solved scenario, run in parallel by the job runner (jobs.py: local
processes, or a Dask cluster):

- with/without (``with_without.csv``): every candidate's decision reversed -- a built asset barred,
  an unbuilt one forced in at its earliest modelled year -- and the plan re-solved; the value of
  the decision is the reversed plan's objective less the optimum (MUSD, NPV), with a reason in words.
- near-optimal alternatives (``near_optimal.csv``, ``alternatives/``): modelling to generate
  alternatives (as Calliope's SPORES, PyPSA's MGA): the objective is bounded by
  ``optimum + slack x |optimum|`` and the MW of each group (a technology, a corridor = a link, a
  country, a project) online in each year is minimised and maximised.
- tornado (``tornado.csv``): one ``--set`` path moved to its low and high value at a time, the plan
  re-solved, its objective and the builds that change at each end; optionally Morris elementary
  effects (SALib) over the same ranges (``morris.csv``).

Speed: with/without and near-optimal re-solve one compiled model (``Session``: the matrix built
and handed to HiGHS once per worker; a re-solve changes column bounds, costs or one row and runs
HiGHS again -- an LP from the last basis). A tornado end changes the data, so it is a fresh build.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: plan: asset -> {build year: MW added}
Plan = dict

#: near-optimal groups, in the order written
GROUP_KINDS = ("technology", "link", "country", "project")
MW_TOL = 1e-3  # MW: a plan's builds differ when a year's MW differs by more
#: relative MIP gap of a near-optimal MIP (on the group's MW, not on the cost): the MW reported are
#: those of a real plan within this share of the least (most); the verdicts hold whatever the gap,
#: since a gap below 1 cannot close while the best plan has MW > 0 and the bound 0, or the reverse
NEAR_OPTIMAL_GAP = 0.01


class ExploreError(Exception):
    """A request that cannot be explored (a bad --tornado, a bad slack); the message says why."""


# ---------------------------------------------------------------------------------------------
# the compiled model, re-solved


@dataclass
class Outcome:
    """One re-solve: status, objective (MUSD, the model's own), the candidates' builds, seconds."""

    status: str
    objective_musd: float | None = None
    plan: Plan = field(default_factory=dict)
    seconds: float = 0.0
    value: float | None = None  # near-optimal: the group's MW
    year: int | None = None  # with/without 'force': the year it was forced in
    x: np.ndarray | None = field(default=None, repr=False)  # the column values (not sent back by workers)


def settings_of(scenario):
    from .solve import SolverSettings

    s = scenario.options.solver
    return SolverSettings(s.time_limit_s, s.mip_gap, s.threads, None, s.method, s.highs())


class Session:
    """A scenario's model built, compiled and passed to HiGHS once; re-solved with bounds, costs or
    a row changed. Column bounds and costs are restored after each re-solve."""

    def __init__(self, scenario, data=None):
        from .data import build_model_data
        from .formulation import build_model
        from .solve import Compiled, make_highs

        t0 = time.perf_counter()
        self.data = data if data is not None else build_model_data(scenario)
        self.model = build_model(self.data)  # kept: the compiled columns refer to it
        self.compiled = c = Compiled(self.model)
        self.settings = settings_of(scenario)
        self.h = make_highs(self.settings, lp=not c.integer.any())
        c.pass_to(self.h)
        self.n = c.n_columns
        self.cols = np.arange(self.n, dtype=np.int32)
        self.lower, self.upper = c.col_lower.copy(), c.col_upper.copy()
        self.cost = c.cost.copy()  # scaled
        self.offset = float(c.offset)  # scaled
        self.build_cols: dict[str, dict[int, int]] = {}
        self.online_cols: dict[tuple[str, int], int] = {}
        positions, keys = c.columns_of("build")
        for j, (a, y) in zip(positions.tolist(), keys):
            self.build_cols.setdefault(a, {})[int(y)] = j
        positions, keys = c.columns_of("online")
        for j, (a, y) in zip(positions.tolist(), keys):
            self.online_cols[(a, int(y))] = j
        self.capacity = self.data.assets["capacity_mw"].astype(float).to_dict()
        self.compile_seconds = time.perf_counter() - t0

    def solve(self, lower=None, upper=None, cost=None, start: Plan | None = None) -> Outcome:
        """Re-solve with these column bounds / scaled costs (None: the model's own); ``start``: a
        plan HiGHS starts a MIP from (its builds; solve.run_from), e.g. the base plan reversed."""
        from .solve import run_from, run_highs, status_of

        t0 = time.perf_counter()
        h = self.h
        h.changeColsBounds(self.n, self.cols, self.lower if lower is None else lower,
                           self.upper if upper is None else upper)
        if cost is not None:
            h.changeColsCost(self.n, self.cols, cost)
        try:
            if start is not None and self.compiled.integer.any():
                cols, values = self.start_of(start)
                run_from(h, cols, values, self.settings.options)
            else:
                run_highs(h)
            info = h.getInfo()
            out = Outcome(status_of(h, info.primal_solution_status == 2))  # 2: a feasible solution
            if out.status in ("optimal", "feasible"):
                out.x = np.asarray(h.getSolution().col_value)
                out.plan = self.plan_of(out.x)
                out.objective_musd = float(info.objective_function_value) / self.compiled.scale
        finally:
            if cost is not None:
                h.changeColsCost(self.n, self.cols, self.cost)
        out.seconds = time.perf_counter() - t0
        return out

    def start_of(self, plan: Plan) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of every build column in ``plan`` (MW added -> a share of the asset, 0
        where it adds nothing)."""
        cols, values = [], []
        for a, years in self.build_cols.items():
            for y, j in years.items():
                cols.append(j)
                values.append(plan.get(a, {}).get(y, 0.0) / self.capacity[a])
        values = np.array(values, dtype=float)
        cols = np.array(cols, dtype=np.int32)
        integer = self.compiled.integer[cols]
        values[integer] = np.round(values[integer])
        return cols, values

    def plan_of(self, x: np.ndarray) -> Plan:
        plan: Plan = {}
        for a, years in self.build_cols.items():
            for y, j in years.items():
                mw = float(x[j]) * self.capacity[a]
                if mw > MW_TOL:
                    plan.setdefault(a, {})[y] = mw
        return plan

    # -- with/without -------------------------------------------------------------------------

    def reverse(self, asset: str, action: str, plan: Plan | None = None) -> Outcome:
        """action 'bar': every build of the asset fixed at 0; 'force': built in full in its
        earliest modelled year; 'force_any': built in full in some year (a row, removed after).
        ``plan``: the plan solved without the reversal; a MIP forcing an asset in starts from it
        with the asset added. A bar has no start: the plan less the asset may be infeasible (a
        project without its line), and HiGHS then needs its own searches (bench60, d1 barred,
        given that start: 168,579 LP iterations with them, 207,579 without)."""
        years = self.build_cols.get(asset, {})
        lower, upper = self.lower.copy(), self.upper.copy()
        start = None
        if plan is not None and years and action != "bar":
            start = {**plan, asset: {min(years): self.capacity[asset]}}
        if action == "bar":
            for j in years.values():
                upper[j] = 0.0
            return self.solve(lower, upper)
        if action == "force":
            lower[years[min(years)]] = 1.0
            out = self.solve(lower, upper, start=start)
            out.year = min(years)
            return out
        if action == "force_any":
            idx = np.array(sorted(years.values()), dtype=np.int32)
            row = self.h.getNumRow()
            self.h.addRow(1.0, math.inf, len(idx), idx, np.ones(len(idx)))
            try:
                return self.solve(start=start)
            finally:
                self.h.deleteRows(1, np.array([row], dtype=np.int32))
        raise ValueError(action)

    # -- near-optimal -------------------------------------------------------------------------

    def bound_objective(self, bound_musd: float) -> None:
        """Add the row  cost . x + offset <= bound  (in HiGHS's scaled units)."""
        nz = np.flatnonzero(self.cost)
        rhs = bound_musd * self.compiled.scale - self.offset
        self.h.addRow(-math.inf, rhs, len(nz), nz.astype(np.int32), self.cost[nz])

    def group_columns(self, assets: list[str], year: int) -> tuple[np.ndarray, np.ndarray]:
        """(columns, MW per unit) of the online fractions of ``assets`` in ``year``."""
        cols, mw = [], []
        for a in assets:
            j = self.online_cols.get((a, year))
            if j is not None:
                cols.append(j)
                mw.append(self.capacity[a])
        return np.array(cols, dtype=np.int64), np.array(mw, dtype=float)

    def extreme(self, cols: np.ndarray, mw: np.ndarray, sense: str) -> Outcome:
        """The least (sense 'min') or most ('max') MW online on these columns, objective bounded."""
        if not len(cols):
            return Outcome("optimal", value=0.0)
        cost = np.zeros(self.n)
        total = float(mw.sum())
        cost[cols] = (mw / total) * (1.0 if sense == "min" else -1.0)  # O(1) coefficients
        # without the cost's constant: HiGHS's relative MIP gap divides by the objective, and a
        # constant of thousands would make any first plan look optimal
        self.h.changeObjectiveOffset(0.0)
        try:
            out = self.solve(cost=cost)
        finally:
            self.h.changeObjectiveOffset(self.offset)
        if out.status in ("optimal", "feasible"):
            out.value = float(out.x[cols] @ mw)
            out.objective_musd = None  # the objective here is MW, not the plan's cost
        return out


def _strip(out: Outcome) -> dict:
    """An outcome as plain data (for a worker's answer)."""
    return {"status": out.status, "objective_musd": out.objective_musd, "plan": out.plan,
            "seconds": out.seconds, "value": out.value, "year": out.year}


# ---------------------------------------------------------------------------------------------
# jobs (run in workers: plain data in and out)


def reversal_job(scenario, items: list[tuple[str, str]], plan: Plan | None = None) -> dict:
    """Re-solve one compiled model for each (asset, action) of ``items``; ``plan``: the base plan,
    each MIP's start (reversed)."""
    s = Session(scenario)
    return {"compile_seconds": s.compile_seconds,
            "results": {f"{a}|{action}": _strip(s.reverse(a, action, plan)) for a, action in items}}


def fresh_reversal_job(scenario, asset: str, action: str) -> dict:
    """The same reversal on a model built for it alone (the benchmark's 'fresh' solve; and the
    way a candidate excluded by its ceiling is forced in, on a scenario that lets it be built)."""
    t0 = time.perf_counter()
    s = Session(scenario)
    if asset not in s.build_cols:
        return {"compile_seconds": s.compile_seconds, "results": {f"{asset}|{action}": {
            "status": "not_buildable", "objective_musd": None, "plan": {}, "seconds": 0.0, "value": None}}}
    out = _strip(s.reverse(asset, action))
    out["seconds"] = time.perf_counter() - t0
    return {"compile_seconds": s.compile_seconds, "results": {f"{asset}|{action}": out}}


def near_optimal_job(scenario, bound_musd: float, specs: list[tuple[str, int, list[str]]],
                     mip_gap: float = NEAR_OPTIMAL_GAP, senses: tuple[str, ...] = ("min", "max")) -> dict:
    """Least and most MW of each (group, year, assets) with the objective bounded, each MIP to
    ``mip_gap`` of the group's MW."""
    s = Session(scenario)
    s.bound_objective(bound_musd)
    s.h.setOptionValue("mip_rel_gap", float(mip_gap))
    results = {}
    for group, year, assets in specs:
        cols, mw = s.group_columns(assets, year)
        for sense in senses:
            results[f"{group}|{year}|{sense}"] = _strip(s.extreme(cols, mw, sense))
    return {"compile_seconds": s.compile_seconds, "results": results}


def plan_job(scenario) -> dict:
    """One fresh solve (a tornado end, a Morris sample): status, objective, builds."""
    t0 = time.perf_counter()
    s = Session(scenario)
    out = _strip(s.solve())
    out["seconds"] = time.perf_counter() - t0
    return {"compile_seconds": s.compile_seconds, "results": {"plan": out}}


# ---------------------------------------------------------------------------------------------
# words


def _fmt_plan(years: dict) -> str:
    return " + ".join(f"{mw:,.0f} MW in {y}" for y, mw in sorted(years.items()))


def plan_changes(base: Plan, new: Plan) -> str:
    """The builds that differ between two plans, in words ('' when none): 'add a (500 MW in 2030)',
    'drop b', 'c 2030 -> 2032' (no leading sign: a spreadsheet would read '+a' or '-b' as a formula)."""
    parts = []
    for a in sorted(set(base) | set(new)):
        b, n = base.get(a, {}), new.get(a, {})
        if set(b) == set(n) and all(abs(b[y] - n[y]) <= max(MW_TOL, 1e-6 * abs(b[y])) for y in b):
            continue
        if not b:
            parts.append(f"add {a} ({_fmt_plan(n)})")
        elif not n:
            parts.append(f"drop {a}")
        elif abs(sum(b.values()) - sum(n.values())) <= MW_TOL:
            parts.append(f"{a} {'/'.join(map(str, sorted(b)))} -> {'/'.join(map(str, sorted(n)))}")
        else:
            parts.append(f"{a} {_fmt_plan(b)} -> {_fmt_plan(n)}")
    return "; ".join(parts)


def _gap_musd(objective: float, mip_gap: float) -> float:
    return abs(objective) * mip_gap


# ---------------------------------------------------------------------------------------------
# the studies


@dataclass
class TornadoSpec:
    path: str
    low: str
    high: str


def parse_tornado(items: list[str]) -> list[TornadoSpec]:
    """``PATH=LOW:HIGH`` (repeatable) -> specs; ExploreError names a malformed one."""
    out, seen = [], set()
    for item in items:
        path, sep, values = item.partition("=")
        path = path.strip()
        low, colon, high = values.partition(":")
        if not sep or not path or not colon or not low.strip() or not high.strip() or ":" in high:
            raise ExploreError(f"--tornado '{item}': expected PATH=LOW:HIGH, e.g. "
                               "technologies.hydro.capex_usd_per_kw=1500:2500")
        if path in seen:
            raise ExploreError(f"--tornado names '{path}' twice")
        seen.add(path)
        out.append(TornadoSpec(path, low.strip(), high.strip()))
    return out


def groups_of(data, kinds: tuple[str, ...] = GROUP_KINDS) -> dict[str, list[str]]:
    """Near-optimal groups -> their candidate assets: 'technology:hydro' (candidate projects of
    that technology), 'link:<id>' (a candidate link, a corridor), 'country:LA' (candidate
    projects at that country's nodes), 'project:<id>' (one candidate project). Only candidates
    with a modelled year in their build window count: the others are no choice."""
    assets = data.assets
    buildable = sorted({a for a, _ in data.build_years})
    projects = [a for a in buildable if assets.at[a, "kind"] == "project"]
    links = [a for a in buildable if assets.at[a, "kind"] == "link"]
    groups: dict[str, list[str]] = {}
    if "technology" in kinds:
        for p in projects:
            groups.setdefault(f"technology:{assets.at[p, 'technology']}", []).append(p)
    if "link" in kinds:
        for lk in links:
            groups[f"link:{lk}"] = [lk]
    if "country" in kinds:
        node = data.projects["node"].to_dict()
        for p in projects:
            groups.setdefault(f"country:{data.node_country[node[p]]}", []).append(p)
    if "project" in kinds:
        for p in projects:
            groups[f"project:{p}"] = [p]
    order = {k: i for i, k in enumerate(GROUP_KINDS)}
    return dict(sorted(groups.items(), key=lambda kv: (order[kv[0].split(':')[0]], kv[0])))


def _chunks(items: list, n: int) -> list[list]:
    n = max(1, min(n, len(items)))
    return [items[i::n] for i in range(n)]


@dataclass
class Explored:
    """Everything ``planner explore`` writes (tables) and reports (summary)."""

    tables: dict[str, pd.DataFrame]
    alternatives: dict[str, pd.DataFrame]
    summary: dict
    base: object  # the base Run


def explore(loaded, with_without: bool = False, slack: float | None = None, tornado: list[TornadoSpec] = (),
            tornado_loaded: dict | None = None, workers: int = 1, scheduler: str | None = None,
            kinds: tuple[str, ...] = GROUP_KINDS, years: str = "last", morris: int | None = None,
            near_optimal_gap: float = NEAR_OPTIMAL_GAP,
            morris_loaded: list | None = None, stage=None, scheduler_timeout: float | None = None) -> Explored:
    """Solve the scenario, then run the studies asked for in parallel. ``tornado_loaded``: the
    scenarios of each tornado end, loaded (and so validated) by the caller: {(path, 'low'|'high'):
    LoadedScenario}; ``morris_loaded``: (values, LoadedScenario) per Morris sample."""
    from .run import run_loaded
    from .jobs import run_jobs

    stage = stage or (lambda _s: None)
    check_explorable(loaded.scenario)
    t_start = time.perf_counter()
    stage("solving the scenario")
    base = run_loaded(loaded, flip=False)
    summary = {"command": "planner explore", "scenario": loaded.scenario.name, "status": base.summary["status"],
               "objective_musd": base.summary.get("objective_musd"), "mip_gap": base.summary.get("mip_gap"),
               "mip_gap_setting": loaded.scenario.options.solver.mip_gap,
               "perspective": loaded.scenario.options.perspective}
    if base.summary["status"] not in ("optimal", "feasible"):
        return Explored({}, {}, summary, base)
    scenario, data = loaded.scenario, base.data
    objective = float(base.summary["objective_musd"])
    builds = base.tables["builds"]
    cand = builds[builds.status == "candidate"]
    base_plan: Plan = {}
    for r in cand.itertuples():
        base_plan.setdefault(r.asset, {})[int(r.build_year)] = float(r.capacity_mw)

    jobs: dict[str, tuple] = {}
    # -- with/without
    buildable = {a for a, _ in data.build_years}
    decisions = [a for a in data.assets.index if data.assets.at[a, "status"] == "candidate"]
    items: list[tuple[str, str]] = []
    fresh: dict[str, object] = {}
    if with_without:
        for a in decisions:
            if a in base_plan:
                items.append((a, "bar"))
            elif a in buildable:
                items += [(a, "force"), (a, "force_any")]
            elif a in data.excluded_by_tariff:
                fresh[a] = _ceiling_lifted(scenario, a, data)
        n_chunks = workers if not scheduler else max(workers, math.ceil(len(items) / 4))
        for i, chunk in enumerate(_chunks(items, n_chunks)):
            jobs[f"ww#{i}"] = (reversal_job, (scenario, chunk, base_plan))
        for a, lifted in fresh.items():
            jobs[f"wwfresh#{a}"] = (fresh_reversal_job, (lifted, a, "force"))
            jobs[f"wwfreshany#{a}"] = (fresh_reversal_job, (lifted, a, "force_any"))
    # -- near-optimal
    groups: dict[str, list[str]] = {}
    no_years: list[int] = []
    bound = None
    if slack is not None:
        groups = groups_of(data, kinds)
        no_years = list(data.years) if years == "all" else [data.years[-1]]
        bound = objective + slack * abs(objective)
        specs = [(g, y, assets) for g, assets in groups.items() for y in no_years]
        # more chunks than workers: a few of these MIPs take a minute, most a fraction of a second
        n_chunks = 4 * workers if not scheduler else max(workers, math.ceil(len(specs) / 4))
        for i, chunk in enumerate(_chunks(specs, n_chunks)):
            jobs[f"no#{i}"] = (near_optimal_job, (scenario, bound, chunk, near_optimal_gap))
    # -- tornado, Morris
    for (path, end), lt in (tornado_loaded or {}).items():
        jobs[f"tornado#{path}#{end}"] = (plan_job, (lt.scenario,))
    for i, (_values, lm) in enumerate(morris_loaded or []):
        jobs[f"morris#{i}"] = (plan_job, (lm.scenario,))

    stage(f"{len(jobs)} jobs on {f'Dask scheduler {scheduler}' if scheduler else f'{workers} local process(es)'}")
    answers: dict[tuple[str, str], dict] = {}
    compile_seconds: list[float] = []
    solve_seconds: dict[str, list[float]] = {"with_without": [], "near_optimal": [], "fresh": []}
    t_jobs = time.perf_counter()
    timeout = {} if scheduler_timeout is None else {"scheduler_timeout": scheduler_timeout}
    for key, result in run_jobs(_call, jobs, workers, scheduler, **timeout):
        if not isinstance(result, dict) or "results" not in result:
            message = str(result.get("message", result) if isinstance(result, dict) else result).strip()
            raise ExploreError(f"a worker failed ({key}): {message.splitlines()[0] if message else ''}")
        compile_seconds.append(result["compile_seconds"])
        kind, _, rest = key.partition("#")
        for k, v in result["results"].items():
            answers[(kind, k if kind in ("ww", "no", "wwfresh", "wwfreshany") else rest)] = v
            solve_seconds["with_without" if kind == "ww" else "near_optimal" if kind == "no" else "fresh"] \
                .append(v["seconds"])
        stage(f"{len(answers)} re-solves done")
    jobs_seconds = time.perf_counter() - t_jobs

    def answer(kind: str, k: str) -> dict | None:
        return answers.get((kind, k))

    tables: dict[str, pd.DataFrame] = {}
    alternatives: dict[str, pd.DataFrame] = {}
    gap_musd = _gap_musd(objective, float(scenario.options.solver.mip_gap))
    if with_without:
        tables["with_without"] = _with_without_table(data, base, base_plan, objective, decisions, buildable,
                                                     answer, gap_musd)
    if slack is not None:
        tables["near_optimal"], alternatives = _near_optimal_table(data, base, groups, no_years, answer)
    if tornado_loaded:
        tables["tornado"] = _tornado_table(tornado, base_plan, answers)
    if morris_loaded:
        tables["morris"] = morris_table(tornado, morris_loaded, answers, morris)
    n_resolves = {k: len(v) for k, v in solve_seconds.items()}
    summary.update({
        "slack": slack, "bound_musd": bound, "near_optimal_years": no_years,
        "near_optimal_mip_gap": near_optimal_gap if slack is not None else None, "groups": list(groups),
        "tornado": [f"{t.path}={t.low}:{t.high}" for t in tornado], "morris_trajectories": morris,
        "workers": workers, "scheduler": scheduler, "resolves": n_resolves,
        "mean_resolve_seconds": {k: (float(np.mean(v)) if v else None) for k, v in solve_seconds.items()},
        "max_resolve_seconds": {k: (float(np.max(v)) if v else None) for k, v in solve_seconds.items()},
        "mean_compile_seconds": float(np.mean(compile_seconds)) if compile_seconds else None,
        "jobs_seconds": round(jobs_seconds, 3), "total_seconds": round(time.perf_counter() - t_start, 3),
        "gap_musd": gap_musd,
    })
    return Explored(tables, alternatives, summary, base)


def check_explorable(scenario) -> None:
    """ExploreError for a scenario the re-solves cannot stand for: one with an ``uncertainty`` block
    (several futures, one plan: SPEC §3.4) is solved as a stochastic programme, and a Session
    re-solves the single-future model, so the values would not compare."""
    if getattr(scenario, "uncertainty", None) is not None:
        raise ExploreError("planner explore re-solves one future; this scenario has an uncertainty block "
                           "(several futures, SPEC §3.4), which it does not explore yet: explore each "
                           "future as a variant of its own")


def _call(fn, args):
    """A job: fn(*args) (top level, so local processes and Dask can pickle it)."""
    return fn(*args)


def _ceiling_lifted(scenario, project: str, data):
    """The scenario with this candidate offering its ceiling tariff, so the ceiling no longer bars
    it (the ceiling tests the offer, else the break-even: SPEC §3.1); under the system perspective
    the tariff is a transfer and the plan's cost does not see it, under the importer's the
    importer pays the ceiling."""
    ceiling = float(data.projects.at[project, "ceiling_usd_per_mwh"])
    projects = [p.model_copy(update={"tariff_usd_per_mwh": ceiling}) if p.id == project else p
                for p in scenario.projects]
    return scenario.model_copy(update={"projects": projects})


def _with_without_table(data, base, base_plan: Plan, objective: float, decisions: list[str], buildable: set,
                        answer, gap_musd: float) -> pd.DataFrame:
    tariffs = base.tables["tariffs"].set_index("project") if "tariffs" in base.tables else pd.DataFrame()
    assets = data.assets
    requires = {}
    for a, b in data.requires:
        requires.setdefault(a, []).append(b)
    excludes = {}
    for a, b in data.excludes:
        excludes.setdefault(a, []).append(b)
        excludes.setdefault(b, []).append(a)
    rows = []
    for a in decisions:
        r = assets.loc[a]
        built = a in base_plan
        row = {"asset": a, "kind": r.kind, "technology": r.technology, "capacity_mw": float(r.capacity_mw),
               "built": built, "build_year": min(base_plan[a]) if built else None, "objective_musd": objective}
        years = sorted({y for aa, y in data.build_years if aa == a})
        if built:
            got = answer("ww", f"{a}|bar")
            row["reversed"] = "barred"
        elif a in buildable:
            got = answer("ww", f"{a}|force")
            row["reversed"] = f"forced in at {years[0]}"
        elif a in data.excluded_by_tariff:
            got = answer("wwfresh", f"{a}|force")
            row["reversed"] = f"allowed at its ceiling tariff, forced in at {got.get('year') if got else '?'}"
        else:
            got = None
            row["reversed"] = "not reversed"
        status = got["status"] if got else "not_buildable"
        rev = got["objective_musd"] if got and status in ("optimal", "feasible") else None
        row["reversed_status"] = status
        row["reversed_objective_musd"] = rev
        row["value_musd"] = None if rev is None else rev - objective
        changes = plan_changes(base_plan, got["plan"]) if got and rev is not None else ""
        row["changes"] = changes
        row["note"] = _reason(a, r, built, base_plan, years, got, rev, objective, tariffs, requires, excludes,
                              answer, gap_musd, data)
        rows.append(row)
    cols = ["asset", "kind", "technology", "capacity_mw", "built", "build_year", "objective_musd", "reversed",
            "reversed_status", "reversed_objective_musd", "value_musd", "note", "changes"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["build_year"] = frame["build_year"].astype("Int64")
    for c in ("reversed_objective_musd", "value_musd"):
        frame[c] = frame[c].astype(float)
    frame = frame.sort_values(["value_musd", "asset"], ascending=[False, True], na_position="last")
    frame.insert(0, "rank", range(1, len(frame) + 1))
    return frame.reset_index(drop=True)


def _reason(a, r, built, base_plan, years, got, rev, objective, tariffs, requires, excludes, answer, gap_musd,
            data) -> str:
    """A reason in words for one decision (with_without.csv's note)."""
    parts = []
    value = None if rev is None else rev - objective
    headroom = None
    if r.kind == "project" and a in tariffs.index and "headroom_usd_per_mwh" in tariffs.columns:
        h = tariffs.at[a, "headroom_usd_per_mwh"]
        headroom = float(h) if pd.notna(h) else None
    if built:
        y = min(base_plan[a])
        text = f"built in {y}"
        if years and y > years[0]:
            text += f" though it could be online from {years[0]}: not needed until {y}"
        parts.append(text)
        if value is not None:
            if abs(value) <= gap_musd:
                parts.append(f"interchangeable: the plan without it costs within the solver's gap ({gap_musd:,.1f} MUSD)")
            elif value > 0:
                parts.append(f"barring it costs {value:,.1f} MUSD")
        elif got is not None and got["status"] == "infeasible":
            parts.append("the plan is infeasible without it (strict targets or a relation need it)")
        if headroom is not None:
            parts.append(f"its break-even is {headroom:,.1f} USD/MWh under its ceiling")
        return "; ".join(parts)
    if a in data.excluded_by_tariff:
        tested = float(data.projects.at[a, "tariff_usd_per_mwh"])
        ceiling = float(data.projects.at[a, "ceiling_usd_per_mwh"])
        until = f" up to {data.tariff_ceiling_last_year}" if data.tariff_ceiling_last_year is not None else ""
        parts.append(f"excluded by its tariff ceiling{until} by {tested - ceiling:,.1f} USD/MWh "
                     f"(tariff tested {tested:,.1f} > ceiling {ceiling:,.1f})")
    elif not years and a not in data.excluded_by_tariff:
        return "cannot be online in any modelled year (its build window)"
    if got is None:
        return "; ".join(parts) or "not reversed"
    if got["status"] == "infeasible":
        relations = [b for b in excludes.get(a, []) if b in base_plan or data.assets.at[b, "status"] != "candidate"]
        why = f"it excludes {', '.join(relations)}" if relations else "a limit or relation bars it"
        parts.append(f"cannot be forced in at its earliest year: infeasible ({why})")
    elif value is not None:
        if abs(value) <= gap_musd:
            parts.append(f"a near tie: forcing it in costs within the solver's gap ({gap_musd:,.1f} MUSD)")
        elif value > 0:
            parts.append(f"forcing it in at {got.get('year')} costs {value:,.1f} MUSD")
        else:
            parts.append(f"forcing it in saves {-value:,.1f} MUSD (the optimum is within the MIP gap)")
    key = f"{a}|force_any"
    any_year = answer("wwfreshany", key) if a in data.excluded_by_tariff else answer("ww", key)
    if any_year and any_year["status"] in ("optimal", "feasible") and any_year["plan"].get(a) and value is not None:
        y_best = min(any_year["plan"][a])
        if years and y_best > years[0]:
            parts.append(f"not needed until {y_best} (forced in then: {any_year['objective_musd'] - objective:+,.1f} MUSD)")
    needed = [b for b in requires.get(a, []) if b not in base_plan and data.assets.at[b, "status"] == "candidate"
              and b in got["plan"]]
    for b in needed:
        what = "its line " if data.assets.at[b, "kind"] == "link" else ""
        parts.append(f"needs {what}{b} ({float(data.assets.at[b, 'capex_musd']):,.0f} MUSD capex), not in the plan")
    if headroom is not None and a not in data.excluded_by_tariff:
        parts.append(f"its break-even is {headroom:,.1f} USD/MWh under its ceiling")
    return "; ".join(parts)


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_.-") or "group"


def _near_optimal_table(data, base, groups: dict, years: list[int], answer) -> tuple[pd.DataFrame, dict]:
    cap = base.tables["capacity"]
    online = {(r.asset, int(r.year)): float(r.online_mw) for r in cap.itertuples()}
    builds = base.tables["builds"]
    fixed_rows = builds[builds.status != "candidate"]
    rows, alternatives = [], {}
    for g, assets in groups.items():
        kind, name = g.split(":", 1)
        for y in years:
            row = {"group": g, "kind": kind, "year": y,
                   "optimal_mw": sum(online.get((a, y), 0.0) for a in assets)}
            notes = []
            for sense in ("min", "max"):
                got = answer("no", f"{g}|{y}|{sense}")
                if got is None or got["value"] is None:
                    row[f"{sense}_mw"] = math.nan
                    notes.append(f"{sense}: {got['status'] if got else 'not solved'}")
                    continue
                row[f"{sense}_mw"] = got["value"]
                if got["status"] != "optimal":
                    notes.append(f"{sense}: {got['status']} (stopped at a limit; the MW of the best plan found)")
                folder = f"{_safe(kind)}-{_safe(name)}-{y}-{sense}"
                row[f"{sense}_plan"] = f"alternatives/{folder}" if got["plan"] or got["status"] == "optimal" else ""
                alternatives[folder] = _plan_builds(data, got["plan"], fixed_rows)
            lo, hi = row.get("min_mw"), row.get("max_mw")
            if lo is None or hi is None or lo != lo or hi != hi:
                verdict = ""
            elif lo > MW_TOL:
                verdict = "in every near-optimal plan"
            elif hi > MW_TOL:
                verdict = "a real choice"
            else:
                verdict = "never"
            if notes and verdict:
                verdict += " (unproven: a solve stopped at a limit)"
            row["verdict"] = verdict
            row["note"] = "; ".join(notes)
            rows.append(row)
    cols = ["group", "kind", "year", "min_mw", "max_mw", "optimal_mw", "verdict", "min_plan", "max_plan", "note"]
    return pd.DataFrame(rows, columns=cols), alternatives


def _plan_builds(data, plan: Plan, fixed_rows: pd.DataFrame) -> pd.DataFrame:
    """builds.csv of an alternative: the existing and committed rows, then the plan's candidates."""
    assets = data.assets
    rows = [dict(asset=a, kind=assets.at[a, "kind"], status="candidate", build_year=y, capacity_mw=mw,
                 capex_musd=mw / float(assets.at[a, "capacity_mw"]) * float(assets.at[a, "capex_musd"]),
                 technology=assets.at[a, "technology"])
            for a, years in plan.items() for y, mw in years.items()]
    frame = pd.concat([fixed_rows, pd.DataFrame(rows, columns=list(fixed_rows.columns))], ignore_index=True)
    frame["build_year"] = frame["build_year"].astype("Int64")
    return frame.sort_values(["kind", "asset", "build_year"], na_position="first").reset_index(drop=True)


def _tornado_table(tornado: list[TornadoSpec], base_plan: Plan, answers: dict) -> pd.DataFrame:
    rows = []
    for t in tornado:
        row = {"parameter": t.path, "low": t.low, "high": t.high}
        for end in ("low", "high"):
            got = answers.get(("tornado", f"{t.path}#{end}"))
            ok = got is not None and got["status"] in ("optimal", "feasible")
            row[f"objective_{end}_musd"] = got["objective_musd"] if ok else math.nan
            row[f"builds_changed_{end}"] = (plan_changes(base_plan, got["plan"]) or "none") if ok else \
                (got["status"] if got else "not solved")
        row["swing_musd"] = abs(row["objective_high_musd"] - row["objective_low_musd"])
        rows.append(row)
    cols = ["parameter", "low", "high", "objective_low_musd", "objective_high_musd", "builds_changed_low",
            "builds_changed_high", "swing_musd"]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.sort_values(["swing_musd", "parameter"], ascending=[False, True], na_position="last") \
        .reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Morris elementary effects (SALib, optional)


def morris_samples(tornado: list[TornadoSpec], trajectories: int, seed: int = 19) -> tuple[dict, np.ndarray]:
    """SALib's Morris design over the tornado ranges (numbers only): (problem, samples)."""
    try:
        from SALib.sample import morris as morris_sample
    except ImportError as exc:
        raise ExploreError("--morris needs SALib: pip install 'planner[morris]' (or SALib)") from exc
    bounds = []
    for t in tornado:
        try:
            lo, hi = float(t.low), float(t.high)
        except ValueError as exc:
            raise ExploreError(f"--morris: --tornado {t.path}={t.low}:{t.high} is not a numeric range") from exc
        if not lo < hi:
            raise ExploreError(f"--morris: --tornado {t.path}: LOW must be below HIGH")
        bounds.append([lo, hi])
    if len(tornado) < 1:
        raise ExploreError("--morris screens the --tornado ranges: give at least one --tornado")
    problem = {"num_vars": len(tornado), "names": [t.path for t in tornado], "bounds": bounds}
    samples = morris_sample.sample(problem, trajectories, num_levels=4, seed=seed)
    return problem, samples


def load_morris(path, base_sets: tuple, tornado: list[TornadoSpec], trajectories: int) -> list:
    """Each Morris sample's scenario, loaded (so validated) before anything is solved: a list of
    (values, LoadedScenario). ScenarioError lists the problems of the first bad sample."""
    from .scenario import load_scenario

    _problem, samples = morris_samples(tornado, trajectories)
    out = []
    for row in samples:
        values = [float(v) for v in row]
        sets = tuple(f"{t.path}={v!r}" for t, v in zip(tornado, values))
        out.append((values, load_scenario(path, tuple(base_sets) + sets)))
    return out


def morris_table(tornado, morris_loaded, answers: dict, trajectories) -> pd.DataFrame:
    from SALib.analyze import morris as morris_analyze

    problem = {"num_vars": len(tornado), "names": [t.path for t in tornado],
               "bounds": [[float(t.low), float(t.high)] for t in tornado]}
    samples = np.array([values for values, _ in morris_loaded], dtype=float)
    y = np.array([(answers.get(("morris", str(i))) or {}).get("objective_musd") or math.nan
                  for i in range(len(morris_loaded))], dtype=float)
    if np.isnan(y).any():
        return pd.DataFrame({"parameter": problem["names"], "note": "a sample has no solution: no screening"})
    res = morris_analyze.analyze(problem, samples, y, num_levels=4, print_to_console=False, seed=19)
    frame = pd.DataFrame({"parameter": problem["names"], "mu_star_musd": res["mu_star"], "mu_musd": res["mu"],
                          "sigma_musd": res["sigma"], "mu_star_conf_musd": res["mu_star_conf"]})
    frame["trajectories"] = trajectories
    return frame.sort_values("mu_star_musd", ascending=False).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# writing

EXPLORE_HELP = {
    "with_without": "Every candidate's decision reversed and the plan re-solved: a built asset barred, an unbuilt "
                    "one forced in at its earliest modelled year (one excluded by its tariff ceiling in every year: "
                    "allowed at its ceiling tariff). value_musd = reversed_objective_musd - objective_musd (NPV): "
                    "what the decision is worth; ranked (rank 1 is worth most). A value within the solver's MIP gap "
                    "(explore.json gap_musd) is a tie. note: the reason in words; changes: the builds that differ "
                    "in the reversed plan (add, drop, a -> b: moved or resized).",
    "near_optimal": "Plans whose objective is at most optimum + slack x |optimum| (explore.json bound_musd; with "
                    "import values the objective is negative, a net benefit, and the slack is taken on its size): "
                    "the least (min_mw) and most (max_mw) MW of each group's candidates online in the year, beside "
                    "the optimal plan's. verdict: 'in every near-optimal plan' (min_mw > 0), 'a real choice' "
                    "(min_mw = 0 < max_mw), 'never' (max_mw = 0). min_plan / max_plan: the folder with that "
                    "extreme plan's builds.csv.",
    "tornado": "One --set path at its low and at its high value, the rest as the scenario gives it: the objective "
               "and the builds that change against the optimal plan at each end; sorted by the swing.",
    "morris": "Morris elementary effects (SALib) over the --tornado ranges: mu_star_musd is the mean absolute "
              "change of the objective per step across the range; sigma_musd its spread (interactions, "
              "non-linearity).",
}


def write_explore(out_dir, explored: Explored, loaded, force: bool = False, workbook: bool = True) -> None:
    """The explore folder, atomically (safety.py): explore.json, scenario.yaml, base/ (the optimal
    plan's full results), the study tables as CSV, alternatives/<plan>/builds.csv, explore.xlsx."""
    import json
    from pathlib import Path

    from .io.safety import check_target, discard, locked, replace_folder, temporary_folder, write_manifest
    from .io.writers import fill_results, json_safe, write_csv, write_workbook

    out_dir = Path(out_dir)
    check_target(out_dir, force, loaded.files)
    with locked(out_dir):
        check_target(out_dir, force, loaded.files)
        tmp = temporary_folder(out_dir)
        try:
            base = tmp / "base"
            base.mkdir()
            fill_results(base, explored.base.tables, explored.base.summary, loaded.resolved_yaml(), workbook=workbook)
            write_manifest(base, "planner explore")
            for name, frame in explored.tables.items():
                write_csv(frame, tmp / f"{name}.csv")
            for name, frame in explored.alternatives.items():
                folder = tmp / "alternatives" / name
                folder.mkdir(parents=True)
                write_csv(frame, folder / "builds.csv")
            (tmp / "scenario.yaml").write_text(loaded.resolved_yaml(), encoding="utf-8")
            (tmp / "explore.json").write_text(json.dumps(json_safe(explored.summary), indent=2, default=str) + "\n")
            if workbook and explored.tables:
                readme = [("scenario", str(explored.summary.get("scenario", ""))),
                          ("objective_musd", str(explored.summary.get("objective_musd", ""))),
                          *[(f"{name} sheet", EXPLORE_HELP.get(name, "")) for name in explored.tables],
                          ("units", "Units are in every column name: _mw, _musd (USD million, NPV to the base year)."),
                          ("base", "base/ holds the optimal plan's full results (planner solve's tables).")]
                keys = {"with_without": 2, "near_optimal": 3, "tornado": 1, "morris": 1}
                write_workbook(explored.tables, tmp / "explore.xlsx", readme,
                               {k: v for k, v in keys.items() if k in explored.tables})
            write_manifest(tmp, "planner explore")
            replace_folder(tmp, out_dir)
        finally:
            discard(tmp)
