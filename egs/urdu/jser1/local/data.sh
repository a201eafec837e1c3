#!/usr/bin/env bash
# Stage 0 of urdu: URDU as distributed (<corpus-root>/{Angry,Happy,Neutral,Sad}/*.wav, 44.1 kHz)
# -> <datadir>/urdu, one data dir of the whole corpus (400 utterances, 29 speakers) with utt2emo,
# spk2gender and spk2fold (5 speaker-disjoint groups of 80 utterances); no transcripts:
#     local/data.sh --corpus-root /data/URDU --datadir data
set -euo pipefail

help_message="Usage: local/data.sh --corpus-root DIR [--datadir data]"
corpus_root=   # the URDU folder holding Angry/ Happy/ Neutral/ Sad/ (required)
class_map=conf/class_map.yaml  # corpus label -> class (null drops a label)
datadir=data   # writes <datadir>/urdu
# shellcheck disable=SC2034  # every stage script passes --nj; unused here
nj=1           # unused: preparation reads file names only

. utils/parse_options.sh
if [ $# -gt 0 ] || [ -z "${corpus_root}" ]; then
  echo "${help_message}" >&2
  exit 1
fi
. ./path.sh
jsertk prepare urdu --corpus-root "${corpus_root}" --out "${datadir}/urdu" --class-map "${class_map}"
