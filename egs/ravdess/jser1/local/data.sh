#!/usr/bin/env bash
# Stage 0 of ravdess: the RAVDESS speech folder holding Actor_01 ... Actor_24 ->
# <datadir>/ravdess, one data dir of the whole corpus with its labels and folds (jsertk prepare
# ravdess; see docs/corpora.md):
#     local/data.sh --corpus-root /data/RAVDESS --datadir data
set -euo pipefail

help_message="Usage: local/data.sh --corpus-root DIR [--datadir data] [--prepare-opts '...']"
corpus_root=   # the RAVDESS speech folder holding Actor_01 ... Actor_24 (required)
class_map=conf/class_map.yaml  # corpus label -> class (null drops a label)
datadir=data   # writes <datadir>/ravdess
# shellcheck disable=SC2034  # every stage script passes --nj; unused here
nj=1           # unused: preparation reads file names and label files only
prepare_opts=""  # more jsertk prepare ravdess options (jsertk prepare ravdess --help)

. utils/parse_options.sh
if [ $# -gt 0 ] || [ -z "${corpus_root}" ]; then
  echo "${help_message}" >&2
  echo "local/data.sh: --corpus-root must be the RAVDESS speech folder holding Actor_01 ... Actor_24" >&2
  exit 1
fi
. ./path.sh
# shellcheck disable=SC2086  # prepare_opts is a list of words
jsertk prepare ravdess --corpus-root "${corpus_root}" --out "${datadir}/ravdess" --class-map "${class_map}" ${prepare_opts}
