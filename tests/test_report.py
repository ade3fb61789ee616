"""planner report: the data behind each plot (worked out by hand on a tiny case, and against the
tables on the example), the figures carry that data, and the page renders in a real headless
browser (Debian's chromium) with every image loaded."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from planner.compare import read_result
from planner.report import plots
from tests.conftest import EXAMPLE, planner, project, tiny, write

# 100 MW hydro candidate (1000 USD/kW, lifetime 10 -> 10 MUSD/yr), target 438 GWh = 50 MW all year,
# one 8760-hour peak slice, a 10,000 MW lossless line.
CASE = tiny(projects=[project("cand", 100, "candidate", capex_usd_per_kw=1000)],
            targets=[{"scope": "VN", "year": 2025, "energy_gwh": 438, "capacity_mw": 50}])


@pytest.fixture(scope="module")
def tiny_report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    out = folder / "res"
    assert planner("solve", write(CASE, folder), "--out", out, "--quiet").returncode == 0
    proc = planner("report", out)
    assert proc.returncode == 0, proc.stderr
    return out


def test_plot_data_worked_out_by_hand(tiny_report):
    figs = {p.name: p for p in plots(read_result(tiny_report))}
    assert figs["buildout"].data.to_dict("records") == [{"year": 2025, "hydro_mw": 100.0}]
    imports = figs["imports"].data.iloc[0]
    assert (imports.scope, imports.energy_gwh, imports.target_energy_gwh) == ("VN", pytest.approx(438), 438)
    firm = figs["firm_capacity"].data.iloc[0]
    assert firm.all_mw == pytest.approx(50) and firm.target_capacity_mw == 50
    assert figs["link_utilisation"].data.iloc[0].line == pytest.approx(438 / (10_000 * 8.76))
    costs = figs["costs"].data.iloc[0]
    assert costs.capex_musd == pytest.approx(10) and costs.drop("year").sum() == pytest.approx(10)


@pytest.fixture(scope="module")
def example_result(tmp_path_factory):
    """The example solved once: its report data is checked against its own tables."""
    out = tmp_path_factory.mktemp("example") / "example"
    assert planner("solve", EXAMPLE, "--out", out, "--quiet").returncode == 0
    return out


def test_figures_carry_the_data(example_result):
    for p in plots(read_result(example_result)):
        ax = p.figure.axes[0]
        if p.name in ("buildout", "costs"):
            for col in [c for c in p.data.columns if c != "year"]:
                heights = [b.get_height() for b in ax.patches if b.get_gid() == col]
                assert heights == pytest.approx(list(p.data[col])), (p.name, col)
        if p.name == "imports":
            assert [b.get_height() for b in ax.patches] == pytest.approx(list(p.data.energy_gwh))
            line = next(x for x in ax.lines if x.get_gid() == "target_energy_gwh")
            assert list(line.get_ydata()) == pytest.approx(list(p.data.target_energy_gwh))
        if p.name == "link_utilisation":
            for line in ax.lines:
                assert list(line.get_ydata()) == pytest.approx(list(p.data[line.get_gid()] * 100), nan_ok=True)


def test_example_report_data_matches_its_tables(example_result):
    result = read_result(example_result)
    figs = {p.name: p for p in plots(result)}
    costs = figs["costs"].data.drop(columns="year").to_numpy().sum()
    assert costs == pytest.approx(result.summary["objective_musd"], rel=1e-6)
    cap = result.tables["capacity"].merge(result.tables["builds"].drop_duplicates("asset")[["asset", "kind"]])
    online = cap[cap.kind == "project"].groupby("year").online_mw.sum()
    assert figs["buildout"].data.set_index("year").sum(axis=1).to_numpy() == pytest.approx(online.to_numpy())
    firm = figs["firm_capacity"].data.set_index("year")
    vn = result.tables["imports"].query("scope == 'VN'").set_index("year")
    slices = [c for c in firm.columns if c != "target_capacity_mw"]
    assert firm[slices].min(axis=1).to_numpy() == pytest.approx(vn.firm_mw.to_numpy(), rel=1e-6)


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def test_page_renders_in_a_headless_browser(tiny_report):
    browser = _chromium()
    if browser is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have chromium (.ci/run installs Debian's chromium)")
        pytest.skip("no chromium here; .ci/run installs it")
    page = tiny_report / "report.html"
    text = page.read_text()
    assert "src='data:image/png;base64," in text and "http" not in text.split("<body>")[1].split("results in")[0]
    dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
                          "--dump-dom", page.resolve().as_uri()], capture_output=True, text=True, timeout=120)
    assert 'id="rendered" data-images="7"' in dom.stdout, dom.stderr[-2000:]
    shot = tiny_report / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1000,1600",
                    f"--screenshot={shot}", page.resolve().as_uri()], capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 20_000


def test_report_of_a_missing_folder_is_refused(tmp_path):
    proc = planner("report", tmp_path / "nowhere")
    assert proc.returncode == 2 and "no such folder" in proc.stderr
