"""Outputs a planner reads right: no solver noise or -0, number formats by unit, flags that read as
flags, a --version."""

from __future__ import annotations

import numpy as np
import pytest
import openpyxl
import pandas as pd

from planner.io.writers import number_format, tidy_numbers
from tests.conftest import planner


def test_noise_and_negative_zero_are_cleaned():
    frame = pd.DataFrame({"x_mw": [1234.5, 5.68e-14, -0.0, -3e-13], "price_usd_per_mwh": [12.67373913043475, 0, 1, 2],
                          "id": ["a", "b", "c", "d"]})
    out = tidy_numbers(frame)
    assert out.x_mw.tolist() == [1234.5, 0.0, 0.0, 0.0]
    assert not np.signbit(out.x_mw.to_numpy()).any()
    assert out.price_usd_per_mwh[0] == 12.67373913043475  # values are kept: tables still close
    assert out.id.tolist() == frame.id.tolist()


def test_formats_follow_the_unit_in_the_name():
    assert number_format("year") == "0" and number_format("build_year") == "0"
    assert number_format("energy_gwh") == "#,##0.0" and number_format("online_mw") == "#,##0.0"
    assert number_format("discounted_musd") == "#,##0.00"
    assert number_format("break_even_tariff_usd_per_mwh") == "#,##0.00"
    assert number_format("utilisation") == "0.0%" and number_format("take_or_pay_share") == "0.0%"
    assert number_format("scope") is None


def test_the_workbook_shows_units_and_no_noise(example_run):
    book = openpyxl.load_workbook(example_run / "results.xlsx")
    for sheet in ("imports", "costs", "links", "capacity", "tariffs", "payments"):
        ws = book[sheet]
        header = [c.value for c in ws[1]]
        for j, name in enumerate(header, start=1):
            code = number_format(str(name))
            cells = [ws.cell(row=i, column=j) for i in range(2, min(ws.max_row, 60) + 1)]
            for cell in cells:
                if isinstance(cell.value, float):
                    assert not (cell.value == 0 and np.signbit(cell.value)), (sheet, name)
                    assert cell.value == 0 or abs(cell.value) > 1e-12, (sheet, name, cell.value)
                    if code is not None:
                        assert cell.number_format == code, (sheet, name, cell.number_format)


def test_help_shows_flags_as_flags_and_there_is_a_version():
    for command in ("solve", "sweep", "compare", "report", "validate"):
        text = planner(command, "--help").stdout
        assert "<bool>" not in text and "--quiet" in text, command
    version = planner("--version")
    assert version.returncode == 0 and version.stdout.startswith("planner ") and "highspy" in version.stdout


def test_a_long_per_slice_table_is_summarised_in_the_workbook(monkeypatch, tmp_path):
    from planner.io import writers

    dispatch = pd.DataFrame({"project": ["a", "a", "b", "b"], "year": [2030] * 4, "slice": ["day", "night"] * 2,
                             "generation_mw": [100.0, 50.0, 10.0, 30.0], "energy_gwh": [438.0, 219.0, 43.8, 131.4]})
    summary = writers.summarise_per_slice(dispatch).set_index("project")
    assert summary.at["a", "energy_gwh"] == 657.0 and summary.at["b", "energy_gwh"] == pytest.approx(175.2)
    assert summary.at["a", "generation_mw"] == 75.0 and summary.at["a", "generation_mw_max"] == 100.0
    monkeypatch.setattr(writers, "WORKBOOK_FULL_ROWS", 3)
    writers.fill_results(tmp_path, {"dispatch": dispatch}, {"scenario": "t"}, "name: t\n", workbook=True,
                         parquet=True)
    book = openpyxl.load_workbook(tmp_path / "results.xlsx")
    assert book["dispatch"].max_row == 3  # header + 2 projects
    notes = " ".join(str(c.value) for row in book["README"].iter_rows() for c in row)
    assert "SUMMARISED" in notes and "4 rows, is dispatch.csv and dispatch.parquet" in notes
    assert len(pd.read_csv(tmp_path / "dispatch.csv")) == 4  # the CSV is whole
    assert pd.read_parquet(tmp_path / "dispatch.parquet").equals(dispatch)


def test_parquet_from_the_command_line(example_run, tmp_path):
    done = planner("solve", example_run / "scenario.yaml", "--out", tmp_path / "pq", "--quiet", "--parquet")
    assert done.returncode == 0, done.stderr
    csv_flows = pd.read_csv(tmp_path / "pq" / "flows.csv")
    pq_flows = pd.read_parquet(tmp_path / "pq" / "flows.parquet")
    assert list(pq_flows.columns) == list(csv_flows.columns) and len(pq_flows) == len(csv_flows)
    assert np.allclose(pq_flows.flow_mw, csv_flows.flow_mw, rtol=1e-9)
