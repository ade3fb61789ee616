"""The array layer (planner/formulation/arrays.py) by hand: an ArrayRows family referencing an
ArrayVar and a Pyomo variable, compiled (matrix.py), solved (solve.py), its values and duals read
back by name."""

from __future__ import annotations

import numpy as np
import pyomo.core as pyo
import pytest
from pyomo.common.errors import InfeasibleConstraintException

from planner.formulation import arrays
from planner.formulation.arrays import EQ, LE, ArrayRows, ArrayVar, Linear
from planner.matrix import compile_model
from planner.solve import Compiled, SolverSettings, solve_model
from tests.conftest import project, tiny


def _model(cap_per_z: float = 4.0):
    """min -x[a] - x[b] + 5 z   s.t.  cap[k]: x[k] - cap_per_z * z <= 0 (k = a, b),
    x in [0, 10], z in [0, 1] (a Pyomo variable). By hand: x = cap_per_z z, so the objective is
    (5 - 2 cap_per_z) z: with cap_per_z 4, z = 1, x = (4, 4), objective -3; one more MW of room in
    cap[k] is worth one more MW of x[k]: dual -1."""
    m = pyo.ConcreteModel()
    m.z = pyo.Var(bounds=(0, 1))
    x = arrays.add_var(m, ArrayVar("x", [("a",), ("b",)], 0.0, 10.0))
    cap = ArrayRows("cap", [("a",), ("b",)], LE, 0.0)
    cap.add(x, [0, 1], [0, 1], 1.0)
    cap.add_pyomo([0, 1], [m.z, m.z], -cap_per_z)
    arrays.add_rows(m, cap)
    arrays.add_objective(m, "total", Linear.of(x, [0, 1], -1.0) + Linear.pyomo([(m.z, 5.0)]))
    return m


def test_a_family_by_hand_compiles_to_its_equation():
    matrix = compile_model(_model())
    assert list(matrix.rows) == [("cap", ("a",)), ("cap", ("b",))]
    assert list(matrix.columns) == [("z", None), ("x", ("a",)), ("x", ("b",))]
    assert matrix.A.toarray().tolist() == [[-4.0, 1.0, 0.0], [-4.0, 0.0, 1.0]]
    assert matrix.sense.tolist() == [LE, LE] and matrix.rhs.tolist() == [0.0, 0.0]
    assert matrix.c.tolist() == [5.0, -1.0, -1.0]
    assert matrix.col_upper.tolist() == [1.0, 10.0, 10.0]


def test_hand_optimum_values_and_duals_by_name():
    m = _model()
    result = solve_model(m, SolverSettings())
    assert result.status == "optimal"
    assert result.objective_musd == pytest.approx(-3.0)
    assert m.x.value.tolist() == pytest.approx([4.0, 4.0])
    assert m.x[("a",)].value == pytest.approx(4.0) and m.z.value == pytest.approx(1.0)
    assert result.long_run_duals[("cap", ("b",))] == pytest.approx(-1.0)
    keys, duals = result.long_run_duals.family("cap")
    assert keys == [("a",), ("b",)] and duals.tolist() == pytest.approx([-1.0, -1.0])
    assert dict(result.long_run_duals.items()) == pytest.approx({("cap", ("a",)): -1.0, ("cap", ("b",)): -1.0})


def test_when_the_pyomo_column_costs_more_nothing_is_done():
    m = _model(cap_per_z=2.0)  # (5 - 4) z: z = 0, x = 0
    result = solve_model(m, SolverSettings())
    assert result.objective_musd == pytest.approx(0.0)
    assert m.x.value.tolist() == pytest.approx([0.0, 0.0])


def test_an_empty_row_is_checked_and_dropped():
    m = _model()
    x = m.x
    fine = ArrayRows("cancel", [("a",)], EQ, 0.0)  # x[a] - x[a] = 0: no coefficient left, holds
    fine.add(x, [0, 0], [0, 0], [1.0, -1.0])
    arrays.add_rows(m, fine)
    assert [r for r in compile_model(m).rows if r[0] == "cancel"] == []
    bad = ArrayRows("impossible", [("a",)], EQ, 1.0)  # 0 = 1
    bad.add(x, [0, 0], [0, 0], [1.0, -1.0])
    arrays.add_rows(m, bad)
    with pytest.raises(InfeasibleConstraintException, match="impossible"):
        compile_model(m)


def test_a_column_in_no_row_and_no_cost_is_dropped_and_reads_zero():
    m = _model()
    arrays.add_var(m, ArrayVar("idle", [(1,), (2,)], 0.0, 5.0))
    compiled = Compiled(m)
    assert compiled.n_columns == 3 and compiled.columns_of("idle")[0].size == 0
    solve_model(m, SolverSettings())
    assert m.idle.value.tolist() == [0.0, 0.0]


def test_to_pyomo_states_the_same_optimum():
    m = _model()
    arrays.to_pyomo(m)
    assert isinstance(m.x, pyo.Var) and isinstance(m.cap, pyo.Constraint) and isinstance(m.total, pyo.Objective)
    result = solve_model(m, SolverSettings())
    assert result.objective_musd == pytest.approx(-3.0)
    assert np.array([m.x[0].value, m.x[1].value]) == pytest.approx([4.0, 4.0])


def test_index_keys_read_as_the_list_of_tuples_they_stand_for():
    """gen_index and flow_index are IndexKeys (fields and codes, no list of tuples): each key, a
    slice, iteration, equality and a subset read as the plain list does, with Python values."""
    from planner.data import IndexKeys

    plain = [("a", 2030, "dry"), ("a", 2035, "wet"), ("b", 2030, "wet"), ("b", 2035, "dry")]
    keys = IndexKeys.from_codes([["a", "b"], [2030, 2035], ["dry", "wet"]],
                                [np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1]), np.array([0, 1, 1, 0])])
    assert len(keys) == 4 and keys == plain and list(keys) == plain
    assert keys[1] == ("a", 2035, "wet") and type(keys[1][1]) is int and keys[-1] == plain[-1]
    assert keys[1:3] == plain[1:3]
    assert keys.subset(np.array([True, False, False, True])) == [plain[0], plain[3]]
    assert keys != plain[:3]


def test_a_drier_future_drops_the_generation_columns_of_water_it_no_longer_has():
    """apply_hydro_factor keeps gen_index as IndexKeys: a plant whose availability a factor takes to
    zero loses its columns, the others keep theirs in order."""
    from planner.data import IndexKeys, apply_hydro_factor, build_model_data
    from planner.scenario.schema import Scenario

    sc = Scenario.model_validate(tiny(projects=[project("h", 100, "existing", technology="hydro"),
                                                project("c", 50, "existing", technology="coal")]))
    data = build_model_data(sc)
    assert isinstance(data.gen_index, IndexKeys)
    dried = apply_hydro_factor(data, {"h": 0.0})
    assert isinstance(dried.gen_index, IndexKeys)
    assert dried.gen_index == [k for k in data.gen_index if k[0] != "h"]
    assert len(dried.gen_index) < len(data.gen_index)


def test_a_lexicographic_stage_starts_from_the_plan_the_model_holds():
    """solve_model(start=True): the values the variables hold are handed to HiGHS as its first
    incumbent (its log assesses the point and finds no infeasibility), and the optimum is the same
    as a cold solve's. With z integer: by hand z = 1, x = (4, 4), objective -3."""
    m = _model()
    m.z.domain = pyo.Integers
    cold = solve_model(m, SolverSettings())
    compiled = Compiled(m)
    assert compiled.values().tolist() == pytest.approx([1.0, 4.0, 4.0])  # load's inverse
    lines: list[str] = []
    warm = solve_model(m, SolverSettings(log=lines.append), start=True)
    assert cold.objective_musd == pytest.approx(-3.0) and warm.objective_musd == pytest.approx(-3.0)
    assessed = [i for i, line in enumerate(lines) if line.startswith("Assessing feasibility of MIP")]
    assert len(assessed) == 1, lines
    report = lines[assessed[0] + 2:assessed[0] + 5]  # Col / Integer / Row infeasibilities: none
    assert all(line.split()[-3:] == ["0", "0", "0"] for line in report), report
    lines.clear()
    solve_model(m, SolverSettings(log=lines.append))
    assert not [line for line in lines if line.startswith("Assessing feasibility")]
