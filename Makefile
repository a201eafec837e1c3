# Thin wrappers over tools/ and egs/. Every target builds tools/venv first if needed.
VENV := tools/venv
PYTEST_ARGS ?= -q
# make demo: parallel jobs, and more options for egs/synth_emo/jser1/run.sh (e.g. --stop-stage 0)
DEMO_NJ ?= 2
DEMO_ARGS ?=

.PHONY: install test demo bench

install:  ## build tools/venv (seconds when already up to date)
	bash tools/install.sh

test: install  ## run the test suite; "no tests collected" counts as a failure
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS) tests

demo: install  ## run the embedded recipe end to end (egs/synth_emo/jser1, synthetic corpus)
	cd egs/synth_emo/jser1 && ./run.sh --nj $(DEMO_NJ) $(DEMO_ARGS)

bench: install  ## run every tools/bench/bench_*.py; each rewrites its section of docs/benchmarks.md
	@set -e; for script in tools/bench/bench_*.py; do echo "== $$script"; $(VENV)/bin/python $$script; done
