"""Instance validation against the spec (docs: /work/shared/spec/model.md, "Instance file").

The corpus in ``tests/data/bad`` holds one small malformed instance per rule. Each file
starts with one or more header lines

    # expect: LINE: FRAGMENT [&& FRAGMENT ...]

meaning: some reported problem sits on LINE and its ``key.path: message`` contains every
FRAGMENT (case-insensitive). LINE may list alternatives (``10|13``) where several places
are equally right (a cycle can be reported at any of its edges), or be ``*`` where no
single line is meaningful (alias expansion). Files that cannot carry a comment (empty,
binary) have their expectations in ``tests/data/bad/expectations.txt``, same syntax
prefixed with the file name. The expectations were written from the spec and the file,
not from the tool's output.
"""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

import optimizer
from optimizer import InputError, Problem, load_instance
from optimizer.cli import main

ROOT = Path(__file__).resolve().parents[1]
BAD = Path(__file__).parent / "data" / "bad"
SIDECAR = BAD / "expectations.txt"
EXPECT_PREFIX = "# expect:"


# ----------------------------------------------------------------------------- corpus


@dataclass(frozen=True)
class Expect:
    lines: frozenset[int] | None  # None: any line
    fragments: tuple[str, ...]
    raw: str

    def matches(self, p: Problem) -> bool:
        if self.lines is not None and p.line not in self.lines:
            return False
        text = f"{p.path}: {p.message}".casefold()
        return all(f.casefold() in text for f in self.fragments)


def parse_expect(spec: str) -> Expect:
    line_part, sep, frag_part = spec.strip().partition(": ")
    assert sep, f"malformed expectation {spec!r} (want 'LINE: FRAGMENT')"
    lines = None if line_part.strip() == "*" else frozenset(int(x) for x in line_part.split("|"))
    fragments = tuple(f.strip() for f in frag_part.split("&&") if f.strip())
    assert fragments, f"expectation without fragment: {spec!r}"
    return Expect(lines, fragments, spec.strip())


def _sidecar() -> dict[str, list[Expect]]:
    out: dict[str, list[Expect]] = {}
    for ln in SIDECAR.read_text(encoding="utf-8").splitlines():
        if not ln.strip() or ln.lstrip().startswith("#"):
            continue
        name, _, spec = ln.partition(": ")
        out.setdefault(name.strip(), []).append(parse_expect(spec))
    return out


def expectations(path: Path) -> list[Expect]:
    # headers are ASCII; read bytes so that non-UTF-8 files can carry them too
    text = path.read_bytes().decode("latin-1")
    found = [parse_expect(ln[len(EXPECT_PREFIX):]) for ln in text.splitlines()
             if ln.startswith(EXPECT_PREFIX)]
    return found + _sidecar().get(path.name, [])


CORPUS = sorted(p for p in BAD.iterdir() if p.is_file() and p != SIDECAR)


def problems_of(path: Path | str) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_instance(path)
    problems = info.value.problems
    assert problems, "InputError without problems"
    return problems


def _show(problems: list[Problem]) -> str:
    return "\n".join(f"    {p}" for p in problems) or "    (none)"


def test_corpus_is_complete():
    assert len(CORPUS) >= 45
    missing = [p.name for p in CORPUS if not expectations(p)]
    assert not missing, f"bad files without '# expect:' lines: {missing}"
    orphans = set(_sidecar()) - {p.name for p in CORPUS}
    assert not orphans, f"expectations.txt names files that do not exist: {orphans}"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_bad_file_reports_expected_problems(path: Path):
    expects = expectations(path)
    problems = problems_of(path)
    unmet = [e.raw for e in expects if not any(e.matches(p) for p in problems)]
    assert not unmet, f"{path.name}: expected {unmet}\n  got:\n{_show(problems)}"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_bad_file_reports_nothing_unexpected(path: Path):
    """Every reported problem is one the file was written to contain: no noise, no echoes."""
    expects = expectations(path)
    problems = problems_of(path)
    extra = [p for p in problems if not any(e.matches(p) for e in expects)]
    assert not extra, f"{path.name}: unexpected problems:\n{_show(extra)}"


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_problem_format(path: Path):
    """FILE:LINE:COL: key.path: message — positions are 1-based and inside the file."""
    n_lines = max(1, path.read_bytes().count(b"\n") + 1)
    for p in problems_of(path):
        assert p.file == str(path)
        assert 1 <= p.line <= n_lines, str(p)
        assert p.column >= 1, str(p)
        assert p.message.strip(), str(p)
        prefix = f"{path}:{p.line}:{p.column}: "
        assert str(p).startswith(prefix), str(p)
        assert str(p) == prefix + (f"{p.path}: {p.message}" if p.path else p.message)
        assert "\n" not in str(p), f"multi-line message: {p!r}"


# ----------------------------------------------------------------------------- specific rules


def test_all_problems_reported_together():
    """Four problems from different stages (schema, unknown key, duplicate key, reference)."""
    path = BAD / "multi-error.yaml"
    problems = problems_of(path)
    assert [p.line for p in problems] == [8, 9, 13, 14], _show(problems)
    assert "members.lab-a.budget" in str(problems[0]) and ">= 0" in problems[0].message
    assert "did you mean 'needs'" in problems[1].message
    assert "duplicate" in problems[2].message
    assert "fp8-kernel" in problems[3].message and "did you mean 'fp8-kernels'" in problems[3].message


def test_alias_bomb_fails_fast():
    start = time.monotonic()
    problems = problems_of(BAD / "alias-bomb.yaml")
    assert time.monotonic() - start < 10
    assert any("alias" in p.message.casefold() for p in problems), _show(problems)


def test_python_tag_is_never_executed(tmp_path: Path):
    marker = tmp_path / "pwned"
    f = tmp_path / "evil.yaml"
    f.write_text(textwrap.dedent(f"""\
        name: evil
        members:
          lab-a:
            budget: !!python/object/apply:os.system ["touch {marker}"]
            needs: [ws]
        workstreams:
          ws: {{compute: 10}}
        """))
    problems = problems_of(f)
    assert not marker.exists(), "a Python object tag was executed"
    assert any(p.line == 4 and "python/object" in p.message for p in problems), _show(problems)


VALID = """\
name: Tiny valid consortium
units: {compute: H100-hours, money: USD}
accelerators:
  H100: {throughput: 1.0}
members:
  lab-a:
    budget: 4.0e6
    fleet: {H100: 1024}
    needs: [moe-rl]
  lab-b:
    budget: 1e6
    price: 2.5E+0
    needs: [moe-rl]
    estimates:
      moe-rl: {compute: 1.8e5}
workstreams:
  moe-rl:
    compute: 2.5e5
    accelerators: [H100]
    requires: [fp8]
  fp8:
    compute: 10000
designs:
  fork-heavy: {adoption_factor: 4}
"""


@pytest.fixture
def valid_file(tmp_path: Path) -> Path:
    f = tmp_path / "valid.yaml"
    f.write_text(VALID, encoding="utf-8")
    return f


def test_valid_file_loads(valid_file: Path):
    inst = load_instance(valid_file)
    assert inst.name == "Tiny valid consortium"
    assert set(inst.spec.members) == {"lab-a", "lab-b"}


def test_yaml12_floats_are_numbers(valid_file: Path):
    """`4.0e6` is a string in YAML 1.1 but a number in YAML 1.2 (what people write)."""
    inst = load_instance(valid_file)
    a, b = inst.spec.members["lab-a"], inst.spec.members["lab-b"]
    assert a.budget == 4.0e6 and isinstance(a.budget, float)
    assert b.budget == 1e6
    assert b.price == 2.5
    assert b.estimates["moe-rl"].compute == 1.8e5
    assert inst.spec.workstreams["moe-rl"].compute == 250000.0
    assert a.fleet == {"H100": 1024} and isinstance(a.fleet["H100"], int)


def test_yaml_merge_key_override_is_not_a_duplicate(tmp_path: Path):
    """`<<: *anchor` then an explicit key: YAML merge semantics, the explicit key wins.

    The mapping as written has one `budget`; the spec's duplicate-key rule is about keys
    written twice, not about overriding a merged-in value.
    """
    f = tmp_path / "merge.yaml"
    f.write_text(textwrap.dedent("""\
        name: merge keys
        members:
          lab-a: &lab
            budget: 100
            needs: [ws]
          lab-b:
            <<: *lab
            budget: 200
        workstreams:
          ws: {compute: 10}
        """))
    inst = load_instance(f)
    assert inst.spec.members["lab-b"].budget == 200
    assert inst.spec.members["lab-b"].needs == ["ws"]


def test_valid_file_cli_summary(valid_file: Path, capsys):
    assert main(["validate", str(valid_file)]) == 0
    out, err = capsys.readouterr()
    lines = out.strip().splitlines()
    assert len(lines) == 1, out
    assert lines[0].startswith("valid:"), out
    assert err == ""


def test_mapping_error_reports_path():
    data = {
        "name": "in memory",
        "members": {"lab-a": {"budget": -1, "needs": ["ws"]}},
        "workstreams": {"ws": {"compute": 10}},
    }
    with pytest.raises(InputError) as info:
        load_instance(data)
    problems = info.value.problems
    assert len(problems) == 1, _show(problems)
    assert problems[0].path == "members.lab-a.budget"
    assert ">= 0" in problems[0].message
    assert data["members"]["lab-a"]["budget"] == -1  # the caller's mapping is untouched


def test_mapping_reference_error_reports_path():
    data = {
        "name": "in memory",
        "members": {"lab-a": {"budget": 1, "needs": ["ws", "nope"]}},
        "workstreams": {"ws": {"compute": 10}},
    }
    with pytest.raises(InputError) as info:
        load_instance(data)
    (p,) = info.value.problems
    assert p.path == "members.lab-a.needs[1]"
    assert "'nope'" in p.message


def test_directory(tmp_path: Path):
    (p,) = problems_of(tmp_path)
    assert "directory" in p.message
    assert p.file == str(tmp_path)


def test_missing_file(tmp_path: Path):
    (p,) = problems_of(tmp_path / "nope.yaml")
    assert "no such file" in p.message.casefold()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root can read a chmod 000 file")
def test_unreadable_file(valid_file: Path):
    valid_file.chmod(0)
    try:
        (p,) = problems_of(valid_file)
        assert "permission" in p.message.casefold()
    finally:
        valid_file.chmod(0o644)


def test_oversized_file(tmp_path: Path):
    f = tmp_path / "huge.yaml"
    f.write_text(VALID + ("# padding\n" * 600_000), encoding="utf-8")  # ~6 MB
    (p,) = problems_of(f)
    assert "limit" in p.message.casefold()


# ----------------------------------------------------------------------------- CLI


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.name)
def test_cli_in_process(path: Path, capsys):
    """`consortium validate BAD` exits 2 and prints every problem line to stderr only."""
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "Traceback" not in err
    for p in problems_of(path):
        assert str(p) in err.splitlines()


CLI_FILES = ["negative-budget.yaml", "multi-error.yaml", "syntax-tab-indent.yaml", "binary.yaml",
             "empty.yaml", "non-utf8.yaml", "alias-bomb.yaml", "python-object-tag.yaml"]


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", CLI_FILES)
def test_cli_subprocess(name: str):
    path = BAD / name
    proc = _run_cli("validate", str(path))
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    for e in expectations(path):
        hit = [ln for ln in lines if ln.startswith(f"{path}:")
               and (e.lines is None or int(ln[len(str(path)) + 1:].split(":")[0]) in e.lines)
               and all(f.casefold() in ln.casefold() for f in e.fragments)]
        assert hit, f"{name}: expected {e.raw} on stderr:\n{proc.stderr}"


def test_cli_subprocess_directory(tmp_path: Path):
    proc = _run_cli("validate", str(tmp_path))
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"{tmp_path}:1:1: ")
    assert "directory" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_subprocess_valid(valid_file: Path):
    proc = _run_cli("validate", str(valid_file))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("valid:")
    assert len(proc.stdout.strip().splitlines()) == 1


def test_package_exports():
    assert optimizer.InputError is InputError and optimizer.load_instance is load_instance
