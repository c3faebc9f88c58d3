# Every target sets itself up: a fresh clone needs only Python 3.11, pip and make.
# Everything is installed from requirements.lock (exact versions with hashes), so a fresh
# machine solves with the same HiGHS, and gets the same plans and files, as the one that
# made the committed reports. `make lock` refreshes the lock from pyproject.toml's ranges.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
PIP_TOOLS := pip-tools==7.6.2

FLAGSHIP := instances/open-moe-consortium.yaml

.PHONY: all setup lock demo test check-exact reports bench clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's metadata or the lock changes. --no-deps: the lock lists every
# package; --no-build-isolation: the project is built with the locked setuptools.
$(STAMP): pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

setup: $(STAMP)

# The newest versions pyproject.toml allows, for Python 3.11, with the test and dask extras and
# the build backend. Then `make reports` and commit the lock with the reports it made.
lock:
	$(PYTHON) -m venv $(VENV)-lock
	$(VENV)-lock/bin/python -m pip install --quiet $(PIP_TOOLS)
	$(VENV)-lock/bin/pip-compile --quiet --upgrade --extra test --extra dask --generate-hashes \
	  --allow-unsafe --strip-extras --build-deps-for wheel --build-deps-for editable \
	  --no-emit-index-url --no-emit-find-links --output-file $(LOCK) pyproject.toml

demo: $(STAMP)
	$(BIN)/consortium solve $(FLAGSHIP) --report

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The project against exhaustive search on thousands of tiny random instances and cost games
# (tests/test_exact.py; `make test` runs a sample of it).
check-exact: $(STAMP)
	EXACT_EXAMPLES=2000 EXACT_GAMES=300 $(BIN)/python -m pytest -q tests/test_exact.py

# reports/<instance-slug>/ for every shipped instance (design consortium). An infeasible
# instance exits 3 (no solution: 4) and still gets its report; anything else stops make.
# Then the flagship's comparison of all its designs: reports/<flagship-slug>-compare/, its
# cost sharing: reports/<flagship-slug>-allocation/ (exact Shapley: 4096 coalitions, about a
# minute), and its uncertainty sweep: reports/<flagship-slug>-sweep/.
reports: $(STAMP)
	@for f in instances/*.yaml; do \
	  rc=0; $(BIN)/consortium solve "$$f" --report || rc=$$?; \
	  case $$rc in 0|3|4) ;; *) echo "make reports: $$f failed (exit $$rc)" >&2; exit $$rc;; esac; \
	done
	$(BIN)/consortium compare $(FLAGSHIP) --report
	$(BIN)/consortium allocate $(FLAGSHIP) --method shapley --method nucleolus --method least-core --method proportional --report
	$(BIN)/consortium sweep $(FLAGSHIP) --samples 40 --seed 1 --report

# Benchmarks print ratios against a baseline measured in the same run (benchmarks/README.md).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_gap.py
	$(BIN)/python benchmarks/bench_objectives.py
	$(BIN)/python benchmarks/bench_shapley.py
	$(BIN)/python benchmarks/bench_sweep.py
	$(BIN)/python benchmarks/bench_horizon.py

clean:
	rm -rf $(VENV) $(VENV)-lock build *.egg-info .pytest_cache
