# Thin wrappers over tools/ and egs/. Every target builds tools/venv first if needed.
VENV := tools/venv
PYTEST_ARGS ?= -q
# test workers (pytest-xdist); each runs torch on one thread. Tests that share a module fixture
# (an xdist_group mark) stay in one worker.
TEST_JOBS ?= 2
XDIST := -n $(TEST_JOBS) --dist loadgroup
# make demo: parallel jobs, and more options for egs/synth_emo/jser1/run.sh (e.g. --stop-stage 0)
DEMO_NJ ?= 2
DEMO_ARGS ?=

.PHONY: install lint test test-fast demo bench

install:  ## build tools/venv (seconds when already up to date)
	bash tools/install.sh

# The shell scripts `make lint` checks, under egs/, tools/ and .ci/ (tracked, or new and not ignored):
# *.sh files and executable extensionless ones with an sh/bash shebang (.ci/run), each once (a recipe's
# symlinked copies are skipped).
# Sourced files are followed relative to the script's dir and the one above it (recipes run local/ and
# steps/ scripts from the recipe dir, where utils/, path.sh and cmd.sh are).
SHELLCHECK := $(VENV)/bin/shellcheck -x -P SCRIPTDIR -P SCRIPTDIR/..

lint: install  ## ruff (tools/ruff.toml) over the Python sources, shellcheck over the shell scripts
	@status=0; \
	echo "$(VENV)/bin/ruff check --config tools/ruff.toml --extend-exclude tools/venv jsertk tests tools egs"; \
	$(VENV)/bin/ruff check --config tools/ruff.toml --extend-exclude tools/venv jsertk tests tools egs || status=1; \
	scripts=$$(git ls-files --cached --others --exclude-standard -- egs tools .ci | while IFS= read -r f; do \
	    if [ ! -f "$$f" ] || [ -L "$$f" ]; then continue; fi; \
	    case "$${f##*/}" in \
	      *.sh) echo "$$f" ;; \
	      *.*) ;; \
	      *) if [ -x "$$f" ] && head -n 1 "$$f" | grep -Eq '^#!.*[/ ](ba)?sh( |$$)'; then echo "$$f"; fi ;; \
	    esac; \
	  done); \
	if [ -z "$$scripts" ]; then echo "lint: no shell scripts found (git ls-files)" >&2; exit 1; fi; \
	echo "$(SHELLCHECK)" $$scripts; \
	$(SHELLCHECK) $$scripts || status=1; \
	exit $$status

test: install lint  ## lint, then the whole test suite; "no tests collected" counts as a failure
	$(VENV)/bin/python -m pytest $(XDIST) $(PYTEST_ARGS) tests

test-fast: install lint  ## lint, then the tests not marked slow (no training runs, recipes or pipelines)
	$(VENV)/bin/python -m pytest $(XDIST) $(PYTEST_ARGS) -m "not slow" tests

demo: install  ## run the embedded recipe end to end (egs/synth_emo/jser1, synthetic corpus)
	cd egs/synth_emo/jser1 && ./run.sh --nj $(DEMO_NJ) $(DEMO_ARGS)

bench: install  ## run every tools/bench/bench_*.py; each rewrites its section of docs/benchmarks.md
	@set -e; for script in tools/bench/bench_*.py; do echo "== $$script"; $(VENV)/bin/python $$script; done
