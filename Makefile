# Thin wrappers over tools/ and egs/. Every target builds tools/venv first if needed.
VENV := tools/venv
PYTEST_ARGS ?= -q

.PHONY: install test

install:  ## build tools/venv (seconds when already up to date)
	bash tools/install.sh

test: install  ## run the test suite; "no tests collected" counts as a failure
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS) tests
