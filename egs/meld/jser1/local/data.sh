#!/usr/bin/env bash
# Stage 0 of meld: the unpacked MELD.Raw folder -> <datadir>/meld, one data dir of the whole
# corpus with its labels and folds (jsertk prepare meld; see docs/corpora.md):
#     local/data.sh --corpus-root /data/MELD.Raw --datadir data
set -euo pipefail

help_message="Usage: local/data.sh --corpus-root DIR [--datadir data] [--prepare-opts '...']"
corpus_root=   # the unpacked MELD.Raw folder (required)
class_map=conf/class_map.yaml  # corpus label -> class (null drops a label)
datadir=data   # writes <datadir>/meld
# shellcheck disable=SC2034  # every stage script passes --nj; unused here
nj=1           # unused: preparation reads file names and label files only
prepare_opts="--skip-missing"  # more jsertk prepare meld options (jsertk prepare meld --help)

. utils/parse_options.sh
if [ $# -gt 0 ] || [ -z "${corpus_root}" ]; then
  echo "${help_message}" >&2
  echo "local/data.sh: --corpus-root must be the unpacked MELD.Raw folder" >&2
  exit 1
fi
. ./path.sh
# shellcheck disable=SC2086  # prepare_opts is a list of words
jsertk prepare meld --corpus-root "${corpus_root}" --out "${datadir}/meld" --class-map "${class_map}" ${prepare_opts}
