#!/usr/bin/env bash
# Stage 0 of cremad: the CREMA-D folder holding AudioWAV/ and VideoDemographics.csv ->
# <datadir>/cremad, one data dir of the whole corpus with its labels and folds (jsertk prepare
# cremad; see docs/corpora.md):
#     local/data.sh --corpus-root /data/CREMA-D --datadir data
set -euo pipefail

help_message="Usage: local/data.sh --corpus-root DIR [--datadir data] [--prepare-opts '...']"
corpus_root=   # the CREMA-D folder holding AudioWAV/ and VideoDemographics.csv (required)
class_map=conf/class_map.yaml  # corpus label -> class (null drops a label)
datadir=data   # writes <datadir>/cremad
# shellcheck disable=SC2034  # every stage script passes --nj; unused here
nj=1           # unused: preparation reads file names and label files only
prepare_opts="--skip-missing"  # more jsertk prepare cremad options (jsertk prepare cremad --help)

. utils/parse_options.sh
if [ $# -gt 0 ] || [ -z "${corpus_root}" ]; then
  echo "${help_message}" >&2
  echo "local/data.sh: --corpus-root must be the CREMA-D folder holding AudioWAV/ and VideoDemographics.csv" >&2
  exit 1
fi
. ./path.sh
# shellcheck disable=SC2086  # prepare_opts is a list of words
jsertk prepare cremad --corpus-root "${corpus_root}" --out "${datadir}/cremad" --class-map "${class_map}" ${prepare_opts}
