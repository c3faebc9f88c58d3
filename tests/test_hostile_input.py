"""Input a hostile or unlucky user may give: each case exits 2 with a positioned message, never a
traceback, crash or hang, prints nothing on stdout, and leaves the user's files as they were.

The cases are issue 12's: libyaml's composer crashed (exit 139) at 50,000 nested brackets;
/dev/zero grew to 2.8 GB and a FIFO blocked forever; 5,000-digit integers raised inside Python;
`café` in NFC and NFD, or `Lab` and `lab`, loaded as two members; absurd --samples, --threads,
--workers and scheduler addresses were accepted; a port that accepts TCP but is no Dask scheduler
hung `sweep` for ten minutes; tampered result.json files exited 1 or rendered `compute: "x"`.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import pytest

from optimizer.errors import UsageError
from optimizer.execution import connect

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "instances" / "open-moe-consortium.yaml"
TWO = ROOT / "instances" / "teaching-two-labs.yaml"


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(proc: subprocess.CompletedProcess, *fragments: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr
    return proc.stderr


def instance(tmp_path: Path, text: str, name: str = "x.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


FILE_CASES = {
    "flow nesting 50,000 deep": ("a: " + "[" * 50_000 + "]" * 50_000 + "\n",
                                 ":1:103: nested more than 100 levels deep"),
    "block nesting 50,000 deep": ("a:\n" + "- " * 50_000 + "x\n", ":2:199: nested more than 100 levels deep"),
    "5,000-digit integer": ("name: x\nmembers:\n  a: {budget: " + "9" * 5000 + ", needs: [w]}\n"
                            "workstreams:\n  w: {compute: 1}\n",
                            ":3:15: members.a.budget: integer of 5000 digits is too large"),
    "400-digit fleet": ("name: x\naccelerators: {H100: {throughput: 1}}\nmembers:\n  a: {budget: 9, needs: [w], "
                        "fleet: {H100: " + "1" * 400 + "}}\nworkstreams:\n  w: {compute: 1}\n",
                        ":4:44: members.a.fleet.H100: integer of 400 digits is too large"),
    "one id in NFC and NFD": ("name: x\nmembers:\n  caf\u00e9: {budget: 100, needs: [w]}\n"
                              "  cafe\u0301: {budget: 100, needs: [w]}\nworkstreams:\n  w: {compute: 1}\n",
                              ":4:3: members.caf\u00e9: duplicate key 'caf\u00e9' (first given at line 3; keys are "
                              "compared after Unicode NFC normalisation)"),
    "ids equal up to case": ("name: x\nmembers:\n  Lab: {budget: 100, needs: [w]}\n  lab: {budget: 100, needs: [w]}\n"
                             "workstreams:\n  w: {compute: 1}\n",
                             ":4:3: members.lab: id 'lab' differs from 'Lab' (line 3) only in case"),
}


@pytest.mark.parametrize("case", list(FILE_CASES))
def test_bad_file_is_refused_with_its_position(tmp_path, case):
    text, message = FILE_CASES[case]
    path = instance(tmp_path, text)
    before = digest(path)
    refused(run("validate", str(path)), f"{path}{message}")
    assert digest(path) == before


def test_nfd_ids_are_read_as_nfc(tmp_path):
    """An id typed with a combining accent is the same id as the precomposed one wherever it appears."""
    path = instance(tmp_path, "name: x\nmembers:\n  cafe\u0301: {budget: 100, needs: [w]}\n"
                              "designs:\n  d: {members: [caf\u00e9]}\nworkstreams:\n  w: {compute: 1}\n")
    proc = run("solve", str(path), "--design", "d", "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["member_ids"] == [unicodedata.normalize("NFC", "caf\u00e9")]


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_devices_are_refused(device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    refused(run("validate", device, timeout=20), f"{device}:1:1: is a device; expected a regular file")


def test_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    refused(run("validate", str(fifo), timeout=20), f"{fifo}:1:1: is a named pipe (FIFO)")


@pytest.mark.parametrize("args, message", [
    (["solve", str(TWO), "--threads", "1000000"], "argument --threads: expected a whole number from 1 to"),
    (["sweep", str(FLAGSHIP), "--samples", "1000000000"], "argument --samples: expected a whole number from 1 to 10000"),
    (["allocate", str(TWO), "--samples", "1000000000"], "argument --samples: expected a whole number from 1 to 1000000"),
    (["sweep", str(FLAGSHIP), "--workers", "100000"], "argument --workers: expected a whole number from 1 to"),
    (["sweep", str(FLAGSHIP), "--seed", "-1"], "argument --seed: expected a whole number from 0 to"),
    (["sweep", str(FLAGSHIP), "--scheduler", "tcp://10.0.0.5"], "expected a Dask scheduler address"),
    (["sweep", str(FLAGSHIP), "--scheduler", "tcp://h:99999"], "expected a Dask scheduler address"),
    (["sweep", str(FLAGSHIP), "--scheduler", "http://h:8786"], "expected a Dask scheduler address"),
])
def test_option_out_of_range_is_a_usage_error(args, message):
    refused(run(*args), message)


def test_scheduler_with_nothing_listening_fails_at_once():
    with socket.socket() as s:  # a free port, closed again: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.monotonic()
    refused(run("sweep", str(FLAGSHIP), "--samples", "2", "--scheduler", f"tcp://127.0.0.1:{port}"),
            f"--scheduler tcp://127.0.0.1:{port}: cannot connect")
    assert time.monotonic() - t0 < 30


def test_scheduler_that_never_answers_is_given_up_on():
    """A server that accepts TCP and then says nothing (an HTTP server waiting for a request does
    this): the client is given up on after the timeout, with a message, not after minutes."""
    pytest.importorskip("distributed")
    from dask.distributed import Client
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                pass
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        t0 = time.monotonic()
        with pytest.raises(UsageError, match="did not answer as a Dask scheduler within 2 s|no Dask scheduler answered"):
            connect(f"tcp://127.0.0.1:{server.getsockname()[1]}", Client, timeout=2)
        assert time.monotonic() - t0 < 10
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


# --- consortium report on tampered result.json files ------------------------------------------------

@pytest.fixture(scope="module")
def result_doc() -> dict:
    return json.loads((ROOT / "reports" / "open-moe-consortium" / "result.json").read_text(encoding="utf-8"))


def _set(doc: dict, path: tuple, value) -> dict:
    doc = json.loads(json.dumps(doc))
    target = doc
    for part in path[:-1]:
        target = target[part]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


TAMPERED = [
    (("runs", 0, "compute"), "x", "runs[0].compute: expected a number, got 'x'"),
    (("runs", 0, "member"), 7, "runs[0].member: expected a string, got 7"),
    (("members", 1, "budget"), None, "members[1].budget: expected a number, got None"),
    (("members", 1, "spent"), True, "members[1].spent: expected a number, got True"),
    (("status",), "great", "status: expected 'optimal', 'feasible', 'infeasible' or 'no_solution'"),
    (("unique",), "yes", "unique: expected true or false, got 'yes'"),
    (("objectives", "compute"), "1", "objectives.compute: expected a number, got '1'"),
    (("objectives", "speed"), 1, "objectives.speed:"),
    (("total_compute",), "6e6", "total_compute: expected a number, got '6e6'"),
    (("savings",), KeyError, "missing key 'savings'"),
    (("runs",), {}, "runs: expected a list"),
    (("fleets", 0, "utilisation"), [], "fleets[0].utilisation: expected a number"),
    (("workstreams", 0, "required"), "no", "workstreams[0].required: expected true or false"),
    (("diagnosis",), [3], "diagnosis[0]:"),
]


@pytest.mark.parametrize("path, value, message", TAMPERED, ids=[str(t[0]) for t in TAMPERED])
def test_tampered_result_is_refused_at_its_key_path(tmp_path, result_doc, path, value, message):
    bad = tmp_path / "result.json"
    bad.write_text(json.dumps(_set(result_doc, path, value), indent=2), encoding="utf-8")
    before = digest(bad)
    err = refused(run("report", str(bad), "--out", str(tmp_path / "out")), message)
    assert f"{bad}:" in err and not (tmp_path / "out").exists() and digest(bad) == before


def test_non_finite_numbers_in_a_result_are_refused(tmp_path, result_doc):
    """Python's json reads NaN and Infinity although JSON has no such numbers."""
    bad = tmp_path / "result.json"
    money = f"\"total_money\": {json.dumps(result_doc['total_money'])}"   # the flagship's: 10459001.25
    assert money in json.dumps(result_doc, indent=2)
    bad.write_text(json.dumps(result_doc, indent=2).replace(money, "\"total_money\": NaN"))
    refused(run("report", str(bad), "--out", str(tmp_path / "out")), "total_money: expected a finite number")


def test_out_under_a_file_is_refused_before_solving(tmp_path):
    """`--out FILE/sub` can never be written: refused at once (it used to fail after the solve)."""
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine\n")
    proc = run("solve", str(FLAGSHIP), "--out", str(blocker / "sub"))
    refused(proc, f"{blocker / 'sub'}: cannot be created")
    assert blocker.read_text() == "mine\n"


@pytest.mark.skipif(not os.path.isdir("/sys/kernel"), reason="needs a sysfs, where no one can create entries")
def test_out_where_nothing_can_be_created_is_refused_before_solving():
    refused(run("solve", str(FLAGSHIP), "--out", "/sys/consortium-report"), "/sys/consortium-report: cannot write there")
