"""planner's compile (matrix.py) against Pyomo's own LinearStandardFormCompiler: the same rows,
columns, coefficients, right-hand sides and objective, in the same order, on models that use
every constraint family the shipped scenarios use (integer and continuous builds, storage,
pondage hydro, contracted-capacity targets, ranged rows)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyomo.core as pyo
import pytest
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from planner.data import build_model_data
from planner.formulation import build_model
from planner.matrix import compile_model
from planner.scenario import load_scenario
from tests.conftest import project, tiny, write
from tests.test_storage import _case as storage_case

ROOT = Path(__file__).resolve().parents[1]


def _models(tmp_path):
    yield "base", load_scenario(ROOT / "scenarios" / "base" / "base.yaml").scenario
    yield "base continuous", load_scenario(ROOT / "scenarios" / "base" / "continuous.yaml").scenario
    yield "storage", load_scenario(write(storage_case(True), tmp_path, "storage.yaml")).scenario
    ranged = tiny(projects=[project("a", 100, status="candidate", capex_usd_per_kw=1000, sizing="up_to")],
                  targets=[{"scope": "VN", "year": 2025, "energy_gwh": 100}])
    yield "tiny", load_scenario(write(ranged, tmp_path, "tiny.yaml")).scenario


def _canonical(rows, sense, rhs, a, c, offset):
    """The LP as a set: each row (its sense, right-hand side and its (column, value) pairs, columns by
    name) and the cost of each named column, independent of the order rows and columns come in."""
    a = a.tocsr()
    out = set()
    for i in range(a.shape[0]):
        lo, hi = a.indptr[i], a.indptr[i + 1]
        out.add((int(sense[i]), float(rhs[i]), tuple(sorted(zip(a.indices[lo:hi].tolist(), a.data[lo:hi].tolist())))))
    return out, {j: float(v) for j, v in enumerate(c) if v}, float(offset)


@pytest.mark.parametrize("case", ["base", "base continuous", "storage", "tiny"])
def test_the_array_model_states_the_lp_pyomo_would(tmp_path, case):
    """planner's compile of the array model against Pyomo's own LinearStandardFormCompiler on the same
    families written as Pyomo components (arrays.to_pyomo, what progressive hedging solves): the
    same rows (sense, right-hand side, coefficients), columns, costs and offset. Columns are matched
    through the solution of each: the Pyomo copy's columns are renamed to planner's by position
    (to_pyomo indexes an ArrayVar's entries by position)."""
    from planner.formulation import arrays

    scenario = dict(_models(tmp_path))[case]
    m = build_model(build_model_data(scenario))
    ours = compile_model(m)
    names_ours = list(ours.columns)
    arrays.to_pyomo(m)
    theirs = LinearStandardFormCompiler().write(m, mixed_form=True)
    keys = {name: var.keys for name, var in ((v.name, v) for v, _ in ours.array_columns)}

    def name_of(v):
        parent, index = v.parent_component().local_name, v.index()
        return (parent, keys[parent][index]) if parent in keys else (parent, index)

    names_theirs = [name_of(v) for v in theirs.columns]
    assert sorted(names_ours, key=repr) == sorted(names_theirs, key=repr)
    number = {n: j for j, n in enumerate(names_ours)}
    perm = np.array([number[n] for n in names_theirs])
    b = theirs.A.tocsc()
    b = b[:, np.argsort(perm)]  # their columns in our order
    c_theirs = np.zeros(len(names_ours))
    c_theirs[perm] = theirs.c.toarray().ravel()
    assert len(ours.rows) == b.shape[0]
    assert ours.A.nnz == b.nnz
    mine = _canonical(list(ours.rows), ours.sense, ours.rhs, ours.A, ours.c, ours.offset)
    pyomos = _canonical(None, [r.bound_type for r in theirs.rows], np.asarray(theirs.rhs, dtype=float), b,
                        c_theirs, float(theirs.c_offset[0]))
    assert mine[0] == pyomos[0]
    assert mine[1] == pytest.approx(pyomos[1], rel=1e-15)
    assert mine[2] == pytest.approx(pyomos[2], rel=1e-12)


def test_releasing_the_constraints_changes_no_result(tmp_path):
    """A run whose constraints are deleted once compiled (planner solve) gives the same tables as
    one that keeps them; the collector is on again after the build."""
    import gc

    from planner.results import result_tables
    from planner.solve import SolverSettings, solve_model

    scenario = dict(_models(tmp_path))["base"]
    data = build_model_data(scenario)
    tables = []
    for release in (False, True):
        m = build_model(data)
        assert gc.isenabled()
        result = solve_model(m, SolverSettings(mip_gap=0.0), release=release)
        assert result.status == "optimal"
        assert (len(list(m.component_objects(pyo.Constraint))) == 0) == release
        assert (not m._array_part.rows) == release
        tables.append(result_tables(m, data, result))
    for name in tables[0]:
        pd.testing.assert_frame_equal(tables[0][name], tables[1][name], check_exact=False, rtol=1e-9, atol=1e-9)


def test_settled_capacities_are_bounds_not_rows(tmp_path):
    """An existing link's capacity and an existing plant's availability are the upper bounds of
    their flows and generation (no row); a candidate link keeps its row, since its capacity is a
    decision."""
    data = tiny(projects=[project("dam", 100)],
                links=[{"id": "line", "from": "LA", "to": "VN", "capacity_mw": 50, "status": "existing"},
                       {"id": "new", "from": "LA", "to": "VN", "capacity_mw": 80, "status": "candidate",
                        "capex_musd": 1}])
    m = build_model(build_model_data(load_scenario(write(data, tmp_path)).scenario))
    matrix = compile_model(m)
    assert [index[0] for name, index in matrix.rows if name == "link_capacity"] == ["new"]
    assert not [r for r in matrix.rows if r[0] == "availability"]
    assert m.flow["line", 2025, "all", "forward"].ub == 50
    assert m.flow["new", 2025, "all", "forward"].ub is None
    assert m.gen["dam", 2025, "all"].ub == 100
