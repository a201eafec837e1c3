#!/usr/bin/env bash
# urdu: speech emotion recognition on URDU (Latif et al., 2018: natural speech from Urdu talk
# shows): 4 emotions, 29 speakers, 5 speaker-disjoint groups (each fold's dev set is the next
# group). 26 of the 29 speakers speak in one emotion only: a split that shares speakers between
# train and test measures speaker recognition, and per-speaker normalisation removes the emotion.
# Acoustic-only model: the corpus has no transcripts.
#
#   ./run.sh --corpus-root /data/URDU             # every stage, every fold; results in
#                                                 # exp/ser_folds/RESULTS.md
#   ./run.sh --help                               # every option, with its value here
#
# Options given here are the recipe's; any option on the command line overrides them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

corpus=urdu               # local/data.sh writes data/urdu
model=acoustic            # no transcripts
fold_dev=next-fold        # dev speakers of fold k: the test group of fold k+1
fbank_opts="--resample"   # the audio is 44.1 kHz: resampled to 16 kHz on read

./jser_folds.sh \
    --corpus "${corpus}" \
    --model "${model}" \
    --fold-dev "${fold_dev}" \
    --fbank-opts "${fbank_opts}" \
    "$@"
