# shellcheck shell=bash
# Environment of a jser1 recipe, sourced by jser.sh (or by hand in a recipe dir: `. ./path.sh`):
# the project's tools/venv first on PATH, C-locale sorting as Kaldi tables need.
# The repository root is found from this file's location (egs/<corpus>/jser1/path.sh).
MAIN_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
if [ ! -x "${MAIN_ROOT}/tools/venv/bin/jsertk" ]; then
  echo "path.sh: ${MAIN_ROOT}/tools/venv is not built; run 'make install' in ${MAIN_ROOT}" >&2
  return 1
fi
export MAIN_ROOT
export PATH="${MAIN_ROOT}/tools/venv/bin:${PATH}"
export LC_ALL=C
export PYTHONUNBUFFERED=1  # progress lines appear in logs as they happen
