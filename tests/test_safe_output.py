"""Issue 12: writing reports never destroys what is not ours, a kill at any instant leaves one
complete report under the name, concurrent writers are serialised, and no CSV cell is a
spreadsheet formula. Every refusal is checked for its message and for leaving the user's tree
exactly as it was (bytes, types and symlink targets)."""
from __future__ import annotations

import copy
import csv
import fcntl
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

import optimizer
from optimizer import InputError
from optimizer.allocation import allocate
from optimizer.costsharing import CostSharing
from optimizer.api import comparison_of, solve_designs
from optimizer.cli import main
from optimizer.report import MARKER, kind, marker_bytes
from optimizer.report.plan import HORIZON_FILES, render
from optimizer import safeio
from optimizer.safeio import replace_dir
from optimizer.report.csvs import csv_bytes
from optimizer.sweep import sweep

PLAN, COMPARISON = kind("plan"), kind("comparison")
write_report, check_out_dir = PLAN.write, PLAN.check_dir
REPORT_FILES = PLAN.files - HORIZON_FILES  # what a report without a horizon holds
write_comparison, check_comparison_dir = COMPARISON.write, COMPARISON.check_dir

TWO = {
    "name": "Two renting labs",
    "units": {"compute": "H100-hours", "money": "USD"},
    "members": {"a": {"budget": 1000, "needs": ["x"]}, "b": {"budget": 1000, "needs": ["x"]}},
    "workstreams": {"x": {"compute": 100}},
}
# Ids are free strings: every one of these would be a formula in a spreadsheet.
EVIL_MEMBER, EVIL_OTHER = "=cmd|' /C calc'!A0", "@SUM(1)"
EVIL_WS, EVIL_WS2 = "+1", "-2+3"
EVIL = {
    "name": "Formulas",
    "units": {"compute": "H100-hours", "money": "USD"},
    "members": {EVIL_MEMBER: {"budget": 1000, "needs": [EVIL_WS]},
                EVIL_OTHER: {"budget": 1000, "needs": [EVIL_WS, EVIL_WS2]}},
    "workstreams": {EVIL_WS: {"compute": 100}, EVIL_WS2: {"compute": 50}},
}
FORMULA = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def doc():
    return optimizer.solve(TWO).to_dict()


def tree(root: Path) -> dict[str, tuple]:
    """Every entry below ``root`` by relative path: its type and content (bytes, link target)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            rel = p.relative_to(root).as_posix()
            if p.is_symlink():
                out[rel] = ("link", os.readlink(p))
            elif p.is_dir():
                out[rel] = ("dir", None)
            else:
                out[rel] = ("file", p.read_bytes())
    return out


def files(d: Path) -> dict[str, bytes]:
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def refused(tmp_path: Path, out: Path, doc: dict, match: str) -> None:
    """write_report into ``out`` is refused with ``match`` in the message, and nothing under
    ``tmp_path`` changes; the CLI refuses it the same way with exit code 2."""
    before = tree(tmp_path)
    with pytest.raises(InputError, match=match) as err:
        write_report(doc, out)
    assert "refusing to replace it" in str(err.value) or "symbolic link" in str(err.value)
    assert tree(tmp_path) == before


# --- only ever replace a directory this tool wrote ------------------------------------------------
def test_a_directory_holding_only_the_users_result_json_is_refused(doc, tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "result.json").write_text('{"my": "own results"}')
    refused(tmp_path, mine, doc, r"does not look like a consortium report directory: it has no "
                                 r"\.consortium-report file")
    result = tmp_path / "elsewhere.json"
    write_report(doc, tmp_path / "rep")
    (tmp_path / "rep" / "result.json").rename(result)
    before = tree(tmp_path)
    assert main(["report", str(result), "--out", str(mine)]) == 2
    assert "has no .consortium-report file" in capsys.readouterr().err
    assert tree(tmp_path) == before


def test_a_subdirectory_with_a_report_files_name_is_refused(doc, tmp_path):
    mine = tmp_path / "mine"
    (mine / "report.md").mkdir(parents=True)
    (mine / "report.md" / "chapter1.md").write_text("my thesis")
    (mine / "result.json").write_text("{}")
    refused(tmp_path, mine, doc, "report.md is a directory, where a report has a regular file")
    # even in a directory that carries our marker
    (mine / MARKER).write_bytes(marker_bytes("report"))
    refused(tmp_path, mine, doc, "report.md is a directory")


def test_a_symlink_in_place_of_a_report_file_is_refused(doc, tmp_path):
    precious = tmp_path / "precious.json"
    precious.write_text("mine")
    out = write_report(doc, tmp_path / "rep")
    (out / "result.json").unlink()
    (out / "result.json").symlink_to(precious)
    refused(tmp_path, out, doc, "result.json is a symbolic link")


@pytest.mark.parametrize("how", ["symlink", "directory"])
def test_a_marker_that_is_not_a_regular_file_is_refused(doc, tmp_path, how):
    out = write_report(doc, tmp_path / "rep")
    (out / MARKER).unlink()
    if how == "symlink":
        real = tmp_path / "real-marker"
        real.write_bytes(marker_bytes("report"))       # its content would pass: the type must not
        (out / MARKER).symlink_to(real)
        refused(tmp_path, out, doc, r"its \.consortium-report is a symbolic link")
    else:
        (out / MARKER).mkdir()
        refused(tmp_path, out, doc, r"its \.consortium-report is a directory")


@pytest.mark.parametrize("content, match", [
    (b"", "was not written by consortium-optimizer"),
    (b"my own marker\nkind: report\n", "was not written by consortium-optimizer"),
    (b"\xff\xfe binary", "was not written by consortium-optimizer"),
    (marker_bytes("sweep report"), "marks a sweep report directory"),
])
def test_a_marker_with_foreign_content_is_refused(doc, tmp_path, content, match):
    out = write_report(doc, tmp_path / "rep")
    (out / MARKER).write_bytes(content)
    refused(tmp_path, out, doc, match)


def test_a_comparison_whose_design_report_is_not_ours_is_refused(tmp_path):
    out = tmp_path / "cmp"
    (out / "designs" / "silo").mkdir(parents=True)
    (out / MARKER).write_bytes(marker_bytes("comparison report"))
    (out / "designs" / "silo" / "result.json").write_text("{}")    # no marker: not a report of ours
    before = tree(tmp_path)
    with pytest.raises(InputError, match=r"designs/silo: exists and does not look like a consortium report"):
        check_comparison_dir(out)
    assert tree(tmp_path) == before
    (out / "designs" / "silo" / "result.json").unlink()
    (out / "designs" / "silo").rmdir()
    (out / "designs").rmdir()
    (tmp_path / "elsewhere").mkdir()
    (out / "designs").symlink_to(tmp_path / "elsewhere")
    before = tree(tmp_path)
    with pytest.raises(InputError, match="designs is a symbolic link, where a comparison report has a directory"):
        check_comparison_dir(out)
    assert tree(tmp_path) == before


def test_our_own_report_is_replaced_and_nothing_else_touched(doc, tmp_path):
    (tmp_path / "notes.txt").write_text("beside the report")
    out = write_report(doc, tmp_path / "rep")
    assert (out / MARKER).read_bytes() == marker_bytes("report")
    text = (out / MARKER).read_text()
    assert text.startswith(f"consortium-optimizer {optimizer.__version__}\n") and "kind: report\n" in text
    write_report({**doc, "instance": "renamed"}, out)
    assert "renamed" in (out / "report.md").read_text()
    assert files(out) == {MARKER: marker_bytes("report"), **render({**doc, "instance": "renamed"})}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "rep"]
    assert (tmp_path / "notes.txt").read_text() == "beside the report"
    # an empty directory and an absent path are still fine
    (tmp_path / "empty").mkdir()
    assert set(files(write_report(doc, tmp_path / "empty"))) == REPORT_FILES | {MARKER}
    assert set(files(write_report(doc, tmp_path / "new" / "deeper"))) == REPORT_FILES | {MARKER}


def test_the_swap_without_renameat2_gives_the_same_directory(doc, tmp_path, monkeypatch):
    a = write_report(doc, tmp_path / "a")
    write_report(doc, a)
    monkeypatch.setattr(safeio, "_renameat2", None)
    b = write_report(doc, tmp_path / "b")
    write_report(doc, b)
    assert files(a) == files(b)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_a_file_added_between_the_check_and_the_swap_is_kept(doc, tmp_path):
    """The recheck under the lock passes, then the user drops a file into the directory before
    the exchange: the previous directory is put back with their file, and the new one removed."""
    out = write_report(doc, tmp_path / "rep")
    before = files(out)
    calls = []

    def recheck(path):
        check_out_dir(path)
        calls.append(path)
        if len(calls) == 1:                        # right after the check under the lock
            (out / "mine.txt").write_text("added just now")

    with pytest.raises(InputError, match="mine.txt"):
        replace_dir(out, lambda: render({**doc, "instance": "other"}), recheck, "report")
    assert files(out) == {**before, "mine.txt": b"added just now"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


# --- litter of interrupted runs -------------------------------------------------------------------
def test_litter_of_interrupted_runs_is_removed_and_nothing_else(doc, tmp_path):
    out = write_report(doc, tmp_path / "rep")
    report = files(out)
    partial = tmp_path / ".rep.tmp-k1ll3d01"           # killed while writing: marker first
    partial.mkdir()
    (partial / MARKER).write_bytes(marker_bytes("report"))
    (partial / "report.md").write_bytes(report["report.md"][:100])
    retired = tmp_path / ".rep.old-k1ll3d02"           # killed between the fallback's two renames
    retired.mkdir()
    for name, data in report.items():
        (retired / name).write_bytes(data)
    (tmp_path / ".rep.tmp-k1ll3d03").mkdir()            # killed right after creating it
    (tmp_path / ".rep.tmp-k1ll3d04").mkdir()            # killed between creating and writing the marker
    (tmp_path / ".rep.tmp-k1ll3d04" / MARKER).write_bytes(b"")
    # not litter: the user's own directory that happens to look like it, a link, another name's
    theirs = tmp_path / ".rep.tmp-mine"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("keep")
    (tmp_path / ".rep.old-link").symlink_to(theirs)
    other = tmp_path / ".other.tmp-k1ll3d05"
    other.mkdir()
    (other / MARKER).write_bytes(marker_bytes("report"))
    kept = {k: v for k, v in tree(tmp_path).items() if k.split("/")[0] in (".rep.tmp-mine", ".rep.old-link",
                                                                            ".other.tmp-k1ll3d05")}

    write_report(doc, out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.tmp-k1ll3d05", ".rep.old-link",
                                                          ".rep.tmp-mine", "rep"]
    assert {k: v for k, v in tree(tmp_path).items() if not k.startswith("rep")} == kept
    assert files(out) == report


# --- serialising writers --------------------------------------------------------------------------
def test_a_writer_waits_for_the_lock_then_gives_up_clearly(doc, tmp_path, monkeypatch):
    out = write_report(doc, tmp_path / "rep")
    before = tree(tmp_path)
    monkeypatch.setattr(safeio, "LOCK_TIMEOUT", 0.3)
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)                  # another writer in the same parent
        t0 = time.monotonic()
        with pytest.raises(InputError, match=r"rep: locked: another consortium process has been writing in"):
            write_report({**doc, "instance": "other"}, out)
        assert time.monotonic() - t0 >= 0.3
        assert tree(tmp_path) == before
    finally:
        os.close(fd)
    write_report({**doc, "instance": "other"}, out)     # released: it goes through
    assert "other" in (out / "report.md").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]    # no lock file left behind


# --- formula injection ----------------------------------------------------------------------------
def cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def assert_inert(data: bytes, name: str) -> None:
    """No cell of the CSV starts a formula unless it is a number."""
    for row in cells(data):
        for cell in row:
            if cell.startswith(FORMULA):
                float(cell)                             # raises unless it is a (negative) number


def test_csv_bytes_prefixes_formulas_and_leaves_numbers():
    df = pd.DataFrame({
        "=name": ["=1+1", "+1", "-2+3", "@SUM(1)", "\tx", "\rx", "plain", "a=b", None],
        "mixed": [-2.0, "-2", 3, None, True, "'quoted", "", "x", -0.5],
        "number": [-1.5, 2.0, float("nan"), -3.0, 0.0, 1e6, -1e-7, 4.0, 5.0],
        "integer": [-3, 2, 1, 0, 5, 6, 7, 8, 9],
    })
    df["mixed"] = df["mixed"].astype(object)
    got = cells(csv_bytes(df))
    assert got[0] == ["'=name", "mixed", "number", "integer"]
    assert [r[0] for r in got[1:]] == ["'=1+1", "'+1", "'-2+3", "'@SUM(1)", "'\tx", "'\rx", "plain", "a=b", ""]
    assert [r[1] for r in got[1:]] == ["-2.0", "'-2", "3", "", "True", "'quoted", "", "x", "-0.5"]
    assert [r[2] for r in got[1:]] == ["-1.5", "2.0", "", "-3.0", "0.0", "1000000.0", "-1e-07", "4.0", "5.0"]
    assert [r[3] for r in got[1:]] == ["-3", "2", "1", "0", "5", "6", "7", "8", "9"]
    # a line break inside a cell is quoted: it cannot end the row and start an unprefixed cell
    broken = pd.DataFrame({"id": ["x\r=cmd|' /C calc'!A0", "y\n@SUM(1)", "z\r\n-1"], "n": [1, -2, 3]})
    assert cells(csv_bytes(broken)) == [["id", "n"], ["x\r=cmd|' /C calc'!A0", "1"], ["y\n@SUM(1)", "-2"],
                                        ["z\r\n-1", "3"]]
    # a frame without formulas is written exactly as pandas writes it
    safe = df.drop(columns=["=name"]).iloc[[0, 2, 3, 4, 6, 7, 8]]
    assert csv_bytes(safe) == safe.to_csv(index=False, lineterminator="\n").encode("utf-8")


def test_ids_that_are_formulas_are_inert_in_the_plan_report(tmp_path):
    result = optimizer.solve(EVIL)
    out = write_report(result.to_dict(), tmp_path / "evil")
    members = {r[0]: r for r in cells((out / "members.csv").read_bytes())[1:]}
    assert set(members) == {"'" + EVIL_MEMBER, "'" + EVIL_OTHER}
    assert members["'" + EVIL_MEMBER][1] == "'" + EVIL_WS              # needs
    assert members["'" + EVIL_OTHER][1] == "'" + f"{EVIL_WS}; {EVIL_WS2}"
    assert float(members["'" + EVIL_MEMBER][2]) == 1000                 # budget stays a number
    runs = pd.read_csv(out / "runs.csv")
    assert set(runs.workstream) == {"'" + EVIL_WS, "'" + EVIL_WS2} and set(runs.member) == {"'" + EVIL_OTHER}
    assert runs["compute_H100-hours"].dtype == float                    # numbers are still numbers
    assert set(pd.read_csv(out / "adoptions.csv").member) == {"'" + EVIL_MEMBER}
    assert set(pd.read_csv(out / "workstreams.csv").workstream) == {"'" + EVIL_WS, "'" + EVIL_WS2}
    for name in ("runs.csv", "adoptions.csv", "members.csv", "workstreams.csv", "fleets.csv"):
        assert_inert((out / name).read_bytes(), name)
    # JSON keeps the ids as they are (a JSON string is never executed); NaN never reaches a file
    assert json.loads((out / "result.json").read_text())["member_ids"] == [EVIL_MEMBER, EVIL_OTHER]
    with pytest.raises(InputError, match="expected a finite number"):
        render({**result.to_dict(), "total_compute": float("nan")})


def test_formulas_are_inert_in_comparison_allocation_and_sweep_csvs(tmp_path):
    spec = {**EVIL, "designs": {"=HYPERLINK(\"http://x\")": {"adoption_factor": 2}}}
    inst = optimizer.load_instance(spec)
    results = solve_designs(inst)
    out = write_comparison(comparison_of(inst, results), tmp_path / "cmp")
    designs = [r[0] for r in cells((out / "comparison.csv").read_bytes())[1:]]
    assert designs == ["consortium", "silo", "'=HYPERLINK(\"http://x\")"]
    assert_inert((out / "comparison.csv").read_bytes(), "comparison.csv")
    for p in (out / "designs").rglob("*.csv"):
        assert_inert(p.read_bytes(), p.name)

    docs = [a.to_dict() for a in allocate(EVIL, ["proportional"])]
    lopsided = copy.deepcopy(docs[0])
    lopsided["method"] = "@lopsided"
    lopsided["allocation"][0]["allocated"] = -40.0          # a negative number stays a number
    sharing = CostSharing(instance="Formulas", design="consortium", units=EVIL["units"], unmet_penalty=3.0,
                          allocations=[docs[0], lopsided])
    out = kind("allocation").write(sharing, tmp_path / "alloc")
    rows = cells((out / "allocation.csv").read_bytes())[1:]
    assert {r[1] for r in rows} == {"'" + EVIL_MEMBER, "'" + EVIL_OTHER}
    assert [r[0] for r in rows] == ["proportional", "proportional", "'@lopsided", "'@lopsided"]
    assert rows[2][3] == "-40.0"
    assert_inert((out / "allocation.csv").read_bytes(), "allocation.csv")

    sw = sweep({**EVIL, "uncertainty": {"compute": {"low": 0.5, "mode": 1.0, "high": 2.0}}}, samples=3, seed=1)
    out = kind("sweep").write(sw, tmp_path / "sweep")
    freq = pd.read_csv(out / "run_frequency.csv")
    assert set(freq.member) and set(freq.member) <= {"'" + EVIL_MEMBER, "'" + EVIL_OTHER}
    assert set(freq.workstream) <= {"'" + EVIL_WS, "'" + EVIL_WS2}
    for p in out.glob("*.csv"):
        assert_inert(p.read_bytes(), p.name)


# --- kills and concurrency ------------------------------------------------------------------------
def test_a_kill_at_any_instant_leaves_one_complete_report(doc, tmp_path):
    """A child replaces the report in a tight loop (the write path of write_report, on two
    pre-rendered versions) and is SIGKILLed after a random delay, 20 times: each time the name
    holds version A or version B whole, and nothing beside it changed. The next writer removes
    the litter."""
    versions = [render(doc), render({**doc, "instance": "second version"})]
    wanted = [{MARKER: marker_bytes("report"), **v} for v in versions]
    out = tmp_path / "rep"
    (tmp_path / "notes.txt").write_text("the user's")
    (tmp_path / ".rep.tmp-mine").mkdir()
    (tmp_path / ".rep.tmp-mine" / "keep.txt").write_text("looks like ours, is not")
    replace_dir(out, lambda: versions[0], check_out_dir, "report")
    theirs = {k: v for k, v in tree(tmp_path).items() if k == "notes.txt" or k.startswith(".rep.tmp-mine")}
    rng = random.Random(12)
    littered = 0
    for _ in range(20):
        pid = os.fork()
        if pid == 0:                                    # the child: write until killed
            try:
                k = 0
                while True:
                    replace_dir(out, lambda: versions[k % 2], check_out_dir, "report")
                    k += 1
            finally:
                os._exit(1)
        time.sleep(rng.uniform(0, 0.3))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "the writer failed before the kill"
        got = files(out)
        assert got in wanted, "the report directory is not one complete version"
        json.loads((out / "result.json").read_text())
        check_out_dir(out)
        now = tree(tmp_path)
        assert {k: v for k, v in now.items() if k in theirs} == theirs
        litter = {k.split("/")[0] for k in now if k.startswith(".rep.") and k.split("/")[0] != ".rep.tmp-mine"}
        assert {n[:9] for n in litter} <= {".rep.tmp-"}, litter
        littered += bool(litter)
    assert littered, "no kill landed while a report was being written"
    replace_dir(out, lambda: versions[0], check_out_dir, "report")
    assert sorted(p.name for p in tmp_path.iterdir()) == [".rep.tmp-mine", "notes.txt", "rep"]
    assert tree(tmp_path)[".rep.tmp-mine/keep.txt"] == ("file", b"looks like ours, is not")


def test_concurrent_writers_to_one_directory(tmp_path):
    """Eight `consortium solve --out SAME` at once: each succeeds or says the directory is
    locked (exit 2), and one complete report is left, without litter."""
    inst = tmp_path / "small.yaml"
    inst.write_text(yaml.safe_dump(TWO))
    (tmp_path / "notes.txt").write_text("the user's")
    exe = Path(sys.executable).with_name("consortium")
    procs = [subprocess.Popen([str(exe), "solve", str(inst), "--out", str(tmp_path / "rep")], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    outcomes = [(p.wait(timeout=240), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    for code, err in outcomes:
        assert code == 0 or (code == 2 and "locked" in err), (code, err)
    assert any(code == 0 for code, _ in outcomes)
    out = tmp_path / "rep"
    assert files(out) == {MARKER: marker_bytes("report"), **render(optimizer.solve(inst).to_dict())}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "rep", "small.yaml"]
    assert (tmp_path / "notes.txt").read_text() == "the user's"
