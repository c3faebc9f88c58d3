"""Sweep reports (`consortium sweep --out`): figures equal to the Sweep's, a known answer,
a self-contained page, Parquet beside the CSVs, byte-identical regeneration, out-dir
safety, and the committed flagship sweep being current."""
from __future__ import annotations

import copy
import io
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import optimizer
from optimizer import InputError
from optimizer.cli import main
from optimizer.formatting import num
from optimizer.report import MARKER, kind, marker_bytes

write_report = kind("plan").write
from optimizer.report.page import pct
from optimizer.report.sweep import KIND, PARQUET, render
from optimizer.sweep import sweep

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "instances" / "open-moe-consortium.yaml"

# Two renting members with unlimited budgets both need x (compute 100, adoption 0.1), and
# x's compute is uncertain: a triangular multiplier m on [0.5, 2] with mode 1.
#   silo: each runs x: 200 m; consortium: one runs x, the other adopts it: 100 m + 10 m = 110 m.
#   So the consortium's savings are exactly 90 m in every sample (the silo design's are 0), the
#   consortium always beats the silo, and savings rank-correlate perfectly with m (rho = 1).
#   Its base plan (one run, one adoption) is optimal in every sample: regret 0.
TWO = {
    "name": "Two labs",
    "units": {"compute": "H100-hours", "money": "USD"},
    "members": {"a": {"budget": 1e9, "needs": ["x"]}, "b": {"budget": 1e9, "needs": ["x"]}},
    "workstreams": {"x": {"compute": 100}},
    "uncertainty": {"compute": {"low": 0.5, "mode": 1.0, "high": 2.0}},
}
SAMPLES, SEED = 24, 3
CU = "H100-hours"
COLUMNS = {
    "summary.csv": ["design", "samples_count", "infeasible_fraction", "enables_members_fraction",
                    "compute_saved_samples_count", f"compute_saved_mean_{CU}", f"compute_saved_p5_{CU}",
                    f"compute_saved_p50_{CU}", f"compute_saved_p95_{CU}", f"total_compute_mean_{CU}",
                    "base_plan_feasible_fraction", f"base_plan_compute_mean_{CU}", f"base_plan_regret_mean_{CU}"],
    "outcomes.csv": ["sample", "design", "status", f"total_compute_{CU}", f"silo_compute_{CU}",
                     f"compute_saved_vs_silo_{CU}", "enables_members", f"duplicated_compute_{CU}", "base_plan_feasible", f"base_plan_compute_{CU}", "plan"],
    "inputs.csv": ["sample", "compute:x"],
    "beats.csv": ["design", "versus", "beats_fraction"],
    "sensitivity.csv": ["design", "input", "spearman_rho", "samples_count", "noise_threshold_rho", "significant"],
    "run_frequency.csv": ["design", "member", "workstream", "samples_running", "running_fraction"],
}
SUMMARY_KEYS = {"infeasible_share": "infeasible_fraction", "enables_members_share": "enables_members_fraction",
                "compute_saved_samples": "compute_saved_samples_count",
                "compute_saved_mean": f"compute_saved_mean_{CU}", "compute_saved_p5": f"compute_saved_p5_{CU}",
                "compute_saved_p50": f"compute_saved_p50_{CU}", "compute_saved_p95": f"compute_saved_p95_{CU}",
                "total_compute_mean": f"total_compute_mean_{CU}",
                "base_plan_feasible_share": "base_plan_feasible_fraction",
                "base_plan_compute_mean": f"base_plan_compute_mean_{CU}",
                "base_plan_regret_mean": f"base_plan_regret_mean_{CU}"}


def files(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def sw():
    return sweep(TWO, samples=SAMPLES, seed=SEED)


@pytest.fixture(scope="module")
def report(sw, tmp_path_factory):
    return KIND.write(sw, tmp_path_factory.mktemp("s") / "two-sweep")


def test_directory_holds_exactly_the_sweep_files(report):
    assert set(files(report)) == set(KIND.files) | {MARKER}
    assert set(KIND.files) == {
        "sweep.md", "sweep.html", "sweep.json", "summary.csv", "outcomes.csv", "outcomes.parquet", "inputs.csv",
        "inputs.parquet", "beats.csv", "sensitivity.csv", "run_frequency.csv", "savings-histograms.svg",
        "sensitivity.svg", "sweep.xlsx"}


def test_csvs_load_back_with_the_documented_columns(report):
    for name, cols in COLUMNS.items():
        assert list(pd.read_csv(report / name).columns) == cols, name


def test_known_answer_savings_are_90_times_the_multiplier(report, sw):
    inputs = pd.read_csv(report / "inputs.csv").set_index("sample")
    out = pd.read_csv(report / "outcomes.csv")
    assert len(inputs) == SAMPLES and len(out) == 2 * SAMPLES
    m = inputs["compute:x"]
    assert ((m >= 0.5) & (m <= 2.0)).all()
    cons = out[out.design == "consortium"].set_index("sample")
    silo = out[out.design == "silo"].set_index("sample")
    assert cons[f"compute_saved_vs_silo_{CU}"].to_numpy() == pytest.approx(90 * m.to_numpy(), abs=1e-5)
    assert cons[f"silo_compute_{CU}"].to_numpy() == pytest.approx(200 * m.to_numpy(), abs=1e-5)
    assert cons[f"total_compute_{CU}"].to_numpy() == pytest.approx(110 * m.to_numpy(), abs=1e-5)
    assert (silo[f"compute_saved_vs_silo_{CU}"] == 0).all() and not out.enables_members.any()
    assert (out.status == "optimal").all() and out.base_plan_feasible.all()
    summary = pd.read_csv(report / "summary.csv").set_index("design")
    for q, col in ((0.05, "p5"), (0.5, "p50"), (0.95, "p95")):
        assert summary.loc["consortium", f"compute_saved_{col}_{CU}"] == pytest.approx(90 * m.quantile(q), abs=1e-5)
    assert summary.loc["consortium", f"compute_saved_mean_{CU}"] == pytest.approx(90 * m.mean(), abs=1e-5)
    assert summary.loc["consortium", "compute_saved_samples_count"] == SAMPLES
    assert summary.loc["consortium", f"base_plan_regret_mean_{CU}"] == 0
    beats = pd.read_csv(report / "beats.csv").set_index(["design", "versus"])["beats_fraction"]
    assert beats["consortium", "silo"] == 1 and beats["silo", "consortium"] == 0
    sens = pd.read_csv(report / "sensitivity.csv").set_index("design")
    assert sens.loc["consortium", "spearman_rho"] == pytest.approx(1.0)
    assert pd.isna(sens.loc["silo", "spearman_rho"])        # the silo's savings do not vary


def test_csv_figures_equal_the_sweep(report, sw):
    summary = pd.read_csv(report / "summary.csv").set_index("design")
    want = sw.summary
    assert list(summary.index) == sw.designs
    for d in sw.designs:
        assert summary.loc[d, "samples_count"] == want.loc[d, "samples"]
        for key, col in SUMMARY_KEYS.items():
            assert summary.loc[d, col] == pytest.approx(want.loc[d, key], abs=1e-6), (d, key)
    out = pd.read_csv(report / "outcomes.csv")
    src = sw.outcomes.reset_index(drop=True)
    assert list(out["sample"]) == list(src["sample"]) and list(out.design) == list(src.design)
    for key in ("total_compute", "silo_compute", "compute_saved_vs_silo", "duplicated_compute", "base_plan_compute"):
        assert out[f"{key}_{CU}"].to_numpy() == pytest.approx(src[key].astype(float).to_numpy()), key
    assert list(out.plan) == list(src.plan) and list(out.status) == list(src.status)
    inputs = pd.read_csv(report / "inputs.csv").set_index("sample")
    assert inputs.to_numpy() == pytest.approx(sw.inputs.to_numpy(), rel=1e-15)
    beats = pd.read_csv(report / "beats.csv")
    assert len(beats) == len(sw.designs) ** 2
    for r in beats.itertuples():
        assert r.beats_fraction == pytest.approx(sw.beats.loc[r.design, r.versus])
    freq = pd.read_csv(report / "run_frequency.csv")
    src = sw.run_frequency.reset_index()
    assert list(freq.samples_running) == list(src.runs) and list(freq.member) == list(src.member)
    assert freq.running_fraction.to_numpy() == pytest.approx(src.share.to_numpy())
    # consortium: b (or a) runs x in every sample; silo: both do
    assert sorted(freq[freq.design == "silo"].member) == ["a", "b"]
    assert (freq.samples_running == SAMPLES).all()


def test_parquet_equals_the_csv(report):
    for name in PARQUET:
        pq = pd.read_parquet(report / f"{name}.parquet")
        csv = pd.read_csv(report / f"{name}.csv")
        assert list(pq.columns) == list(csv.columns), name
        pd.testing.assert_frame_equal(pq.reset_index(drop=True), csv, check_dtype=False, check_exact=False,
                                      rtol=1e-12)


def test_json_is_to_dict(report, sw):
    doc = json.loads((report / "sweep.json").read_text())
    want = json.loads(json.dumps(sw.to_dict()))
    assert doc == want
    for key in ("wall_seconds", "highs_seconds", "workers", "overhead_share"):
        assert key not in doc


def test_markdown_shows_the_sections(report, sw):
    md = (report / "sweep.md").read_text()
    assert f"Uncertainty sweep · {SAMPLES} samples · seed {SEED} · 2 designs" in md
    assert "Status: ALWAYS FEASIBLE" in md
    assert f"**Samples:** {SAMPLES} — Latin hypercube, seed {SEED}" in md
    assert "**Uncertain inputs:** 1 — 1 compute" in md
    p50 = sw.summary.loc["consortium", "compute_saved_p50"]
    assert f"**Compute saved vs silo P50 · consortium:** {num(p50)} H100-hours" in md
    assert f"over the {SAMPLES} of {SAMPLES} samples where it is defined" in md
    assert "**Compute saved positive · consortium:** 100.0%" in md
    assert "**Enables members · consortium:** 0%" in md
    assert "| consortium | 0% | 0% | " in md and f"| {SAMPLES} / {SAMPLES} | 100.0% | 0 |" in md
    # the noise threshold over 24 samples: 1.96 / sqrt(23) = 0.41
    assert "noise threshold: 0.41 over 24 samples (consortium)" in md
    assert "| consortium | *—* | **100.0%** |" in md and "| silo | 0% | *—* |" in md
    assert "| compute:x | **+1.00** |" in md
    assert "*Left out: silo (compute saved vs silo does not vary across the samples" in md
    assert "](savings-histograms.svg)" in md and "](sensitivity.svg)" in md
    for heading in ("## Compute saved vs silo per design", "## Which design needs less compute", "## Sensitivity",
                    "## How often each member runs each workstream", "## Reading the sweep"):
        assert heading in md, heading


def test_html_is_self_contained(report):
    page = (report / "sweep.html").read_text()
    for bad in ("http://", "https://", "<script", "<link", "@import", "@font-face", "<img", "<iframe", "src="):
        assert bad not in page.lower(), bad
    for ref in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page):
        assert ref.startswith("#"), ref
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", page))
    assert page.count("<svg") == 2 and "<style>" in page and "@media print" in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_charts_mark_the_quantiles(report, sw):
    svg = (report / "savings-histograms.svg").read_text()
    assert "<dc:date>" not in svg
    assert "P5" in svg and "P50" in svg and "P95" in svg and "consortium" in svg and "silo" in svg
    sens = (report / "sensitivity.svg").read_text()
    assert "compute:x" in sens and "+1.00" in sens


def test_regeneration_is_byte_identical_and_untimed(report, sw, tmp_path):
    again = sweep(TWO, samples=SAMPLES, seed=SEED).model_copy(
        update={"wall_seconds": 123.4, "highs_seconds": 99.9, "workers": 7})     # timings never reach a file
    out = KIND.write(again, tmp_path / "again")
    assert files(out) == files(report)              # Parquet included: same pyarrow, same bytes
    assert {MARKER: marker_bytes("sweep report"), **render(sw)} == files(report)


def test_a_design_that_is_sometimes_infeasible(tmp_path):
    """With a budget of 150, lab a cannot run x alone once m > 1.5, so the silo is infeasible in
    those samples: savings are defined only where it is feasible, and the report says so."""
    spec = copy.deepcopy(TWO)
    spec["members"]["a"]["budget"] = 150
    spec["members"]["a"]["price"] = 1.0
    spec["members"]["b"]["price"] = 1.0
    sw = sweep(spec, samples=SAMPLES, seed=SEED)
    out = KIND.write(sw, tmp_path / "inf")
    summary = pd.read_csv(out / "summary.csv").set_index("design")
    m = sw.inputs["compute:x"]
    over = int((m > 1.5).sum())
    assert over > 0
    assert summary.loc["silo", "infeasible_fraction"] == pytest.approx(over / SAMPLES)
    assert summary.loc["consortium", "compute_saved_samples_count"] == SAMPLES - over
    # where a cannot manage alone the consortium still has a plan: it enables a in those samples
    assert summary.loc["consortium", "enables_members_fraction"] == pytest.approx(over / SAMPLES)
    assert summary.loc["silo", "enables_members_fraction"] == 0
    md = (out / "sweep.md").read_text()
    assert "Status: SOMETIMES INFEASIBLE" in md
    assert f"silo {pct(over / SAMPLES)}" in md


def test_out_dir_safety(report, sw, tmp_path):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "notes.txt").write_text("precious")
    with pytest.raises(InputError, match="does not look like a consortium sweep report directory"):
        KIND.write(sw, mine)
    assert (mine / "notes.txt").read_text() == "precious"
    result = optimizer.solve({k: v for k, v in TWO.items() if k != "uncertainty"}).to_dict()
    single = write_report(result, tmp_path / "single")
    with pytest.raises(InputError, match="no sweep.json|does not write"):
        KIND.write(sw, single)
    with pytest.raises(InputError, match="does not look like a consortium report"):
        write_report(result, report)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="not a directory"):
        KIND.write(sw, a_file)
    link = tmp_path / "link"
    link.symlink_to(report)
    with pytest.raises(InputError, match="symbolic link"):
        KIND.check_dir(link)
    own = KIND.write(sw, tmp_path / "own")
    assert KIND.write(sw, own) == own        # its own report is replaced
    (own / "stray.csv").write_text("x")
    with pytest.raises(InputError, match="stray.csv"):
        KIND.write(sw, own)
    with pytest.raises(InputError, match="expected an optimizer.sweep.Sweep"):
        KIND.write({"not": "a sweep"}, tmp_path / "never")
    assert not (tmp_path / "never").exists()


def test_default_dir():
    assert KIND.default_dir("open-moe-consortium") == Path("reports/open-moe-consortium-sweep")


def test_cli_sweep_out(tmp_path, monkeypatch, capsys):
    inst = tmp_path / "two.yaml"
    inst.write_text(yaml.safe_dump(TWO))
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", str(inst), "--samples", "6", "--seed", "1", "--workers", "1", "--report"]) == 0
    out = tmp_path / KIND.default_dir("two")
    assert f"report written to {KIND.default_dir('two')}/" in capsys.readouterr().out
    assert set(files(out)) == set(KIND.files) | {MARKER}
    assert len(pd.read_csv(out / "inputs.csv")) == 6


def test_cli_sweep_replaces_its_own_report(tmp_path):
    inst = tmp_path / "two.yaml"
    inst.write_text(yaml.safe_dump(TWO))
    out = tmp_path / "sweep"
    args = ["sweep", str(inst), "--samples", "4", "--seed", "1", "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    before = files(out)
    assert main(args) == 0
    assert files(out) == before


def test_columns_and_files_are_documented():
    text = (ROOT / "docs" / "reports.md").read_text()
    for cols in COLUMNS.values():
        for col in cols:
            generic = col.replace(CU, "{compute}")
            if col != "compute:x":
                assert f"`{generic}`" in text or f"`{col}`" in text, col
    for name in KIND.files:
        assert f"`{name}`" in text, name


def test_shipped_sweep_is_current(tmp_path):
    """reports/<flagship>-sweep/ (from `make reports`) matches a fresh `consortium sweep --samples 40
    --seed 1`: every file byte for byte except the Parquet files, whose bytes name the pyarrow
    version that wrote them; those must hold the same table."""
    inst = optimizer.load_instance(FLAGSHIP)
    committed = ROOT / KIND.default_dir(inst.slug)
    assert committed.is_dir(), f"{committed.relative_to(ROOT)} missing: run `make reports`"
    fresh = tmp_path / committed.name
    assert main(["sweep", str(FLAGSHIP), "--samples", "40", "--seed", "1", "--workers", "2", "--out",
                 str(fresh)]) == 0
    new, old = files(fresh), files(committed)
    assert set(new) == set(old)
    stale = [name for name in sorted(new) if not name.endswith(".parquet") and new[name] != old[name]]
    assert not stale, f"{committed.relative_to(ROOT)} is stale ({', '.join(stale)}): run `make reports`"
    for name in (n for n in new if n.endswith(".parquet")):
        pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(new[name])), pd.read_parquet(io.BytesIO(old[name])))
    assert np.isfinite(pd.read_csv(committed / "summary.csv")["samples_count"]).all()
