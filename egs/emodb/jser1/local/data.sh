#!/usr/bin/env bash
# Stage 0 of emodb: EmoDB as distributed (<corpus-root>/wav/SSTTTEV.wav) -> <datadir>/emodb, one
# data dir of the whole corpus (535 utterances, 10 speakers) with utt2emo, text, spk2gender and
# spk2fold (leave one speaker out):
#     local/data.sh --corpus-root /data/emodb --datadir data
set -euo pipefail

help_message="Usage: local/data.sh --corpus-root DIR [--datadir data]"
corpus_root=   # the EmoDB folder holding wav/ (required)
class_map=conf/class_map.yaml  # corpus label -> class (null drops a label)
datadir=data   # writes <datadir>/emodb
# shellcheck disable=SC2034  # every stage script passes --nj; unused here
nj=1           # unused: preparation reads file names only

. utils/parse_options.sh
if [ $# -gt 0 ] || [ -z "${corpus_root}" ]; then
  echo "${help_message}" >&2
  exit 1
fi
. ./path.sh
jsertk prepare emodb --corpus-root "${corpus_root}" --out "${datadir}/emodb" --class-map "${class_map}"
