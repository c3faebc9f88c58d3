# Every target sets itself up: a fresh clone needs only Python 3.11, pip and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

FLAGSHIP := instances/open-moe-consortium.yaml

.PHONY: all setup demo test reports bench clean

all: test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's metadata changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/consortium solve $(FLAGSHIP) --out

test: $(STAMP)
	$(BIN)/python -m pytest -q

# reports/<instance-slug>/ for every shipped instance (design consortium). An infeasible
# instance exits 3 (no solution: 4) and still gets its report; anything else stops make.
# Then the flagship's comparison of all its designs: reports/<flagship-slug>-compare/, its
# cost sharing: reports/<flagship-slug>-allocation/ (exact Shapley: 4096 coalitions, about a
# minute), and its uncertainty sweep: reports/<flagship-slug>-sweep/.
reports: $(STAMP)
	@for f in instances/*.yaml; do \
	  rc=0; $(BIN)/consortium solve "$$f" --out || rc=$$?; \
	  case $$rc in 0|3|4) ;; *) echo "make reports: $$f failed (exit $$rc)" >&2; exit $$rc;; esac; \
	done
	$(BIN)/consortium compare $(FLAGSHIP) --out
	$(BIN)/consortium allocate $(FLAGSHIP) --method shapley --method nucleolus --method least-core --method proportional --out
	$(BIN)/consortium sweep $(FLAGSHIP) --samples 40 --seed 1 --out

# Benchmarks print ratios against a baseline measured in the same run (benchmarks/README.md).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_gap.py
	$(BIN)/python benchmarks/bench_shapley.py
	$(BIN)/python benchmarks/bench_sweep.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
