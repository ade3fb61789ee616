"""Outputs a planner reads right: no solver noise or -0, number formats by unit, flags that read as
flags, a --version."""

from __future__ import annotations

import numpy as np
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
