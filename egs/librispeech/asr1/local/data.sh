#!/usr/bin/env bash
# Stage 0 of librispeech/asr1: LibriSpeech subsets as distributed (<corpus-root>/<subset>/<spk>/
# <chapter>/*.flac, *.trans.txt, SPEAKERS.TXT) -> <datadir>/<subset with _ for ->, with text and
# spk2gender (jsertk prepare librispeech):
#     local/data.sh --corpus-root /data/LibriSpeech --subsets "train-clean-100 dev-clean test-clean"
set -euo pipefail

help_message="Usage: local/data.sh --corpus-root DIR [--subsets '...'] [--datadir data]"
corpus_root=   # the LibriSpeech folder holding the subsets and SPEAKERS.TXT (required)
subsets="train-clean-100 dev-clean test-clean"  # subsets to prepare (run.sh names them)
datadir=data
# shellcheck disable=SC2034  # every stage script passes --nj; unused here
nj=1           # unused: preparation reads the transcript files only

. utils/parse_options.sh
if [ $# -gt 0 ] || [ -z "${corpus_root}" ]; then
  echo "${help_message}" >&2
  echo "local/data.sh: --corpus-root must be the LibriSpeech folder (holding train-clean-100/, ..., SPEAKERS.TXT)" >&2
  exit 1
fi
. ./path.sh
jsertk prepare librispeech --corpus-root "${corpus_root}" --subsets "${subsets}" --out "${datadir}"
