#!/usr/bin/env bash
# Stage 0 of iemocap: the IEMOCAP_full_release folder holding Session1 ... Session5 ->
# <datadir>/iemocap, one data dir of the whole corpus with its labels and folds (jsertk prepare
# iemocap; see docs/corpora.md):
#     local/data.sh --corpus-root /data/IEMOCAP_full_release --datadir data
set -euo pipefail

help_message="Usage: local/data.sh --corpus-root DIR [--datadir data] [--prepare-opts '...']"
corpus_root=   # the IEMOCAP_full_release folder holding Session1 ... Session5 (required)
class_map=conf/class_map.yaml  # corpus label -> class (null drops a label)
datadir=data   # writes <datadir>/iemocap
# shellcheck disable=SC2034  # every stage script passes --nj; unused here
nj=1           # unused: preparation reads file names and label files only
prepare_opts=""  # more jsertk prepare iemocap options (jsertk prepare iemocap --help)

. utils/parse_options.sh
if [ $# -gt 0 ] || [ -z "${corpus_root}" ]; then
  echo "${help_message}" >&2
  echo "local/data.sh: --corpus-root must be the IEMOCAP_full_release folder holding Session1 ... Session5" >&2
  exit 1
fi
. ./path.sh
# shellcheck disable=SC2086  # prepare_opts is a list of words
jsertk prepare iemocap --corpus-root "${corpus_root}" --out "${datadir}/iemocap" --class-map "${class_map}" ${prepare_opts}
