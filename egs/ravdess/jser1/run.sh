#!/usr/bin/env bash
# ravdess: speech emotion recognition, cross-validated.
# RAVDESS speech (Livingstone & Russo, 2018): 8 emotions, 24 actors, 6 folds of 4 consecutive
# actors (as EmoBox). Acoustic-only model: every actor says the same two sentences, so the words
# carry no emotion.
# No result has been measured with this recipe here: the corpus was not available (its
# preparation is tested on a fixture tree in the corpus's layout; see README.md).
#
#   ./run.sh --corpus-root /data/RAVDESS   # every stage, every fold -> exp/<model>_folds/RESULTS.md
#   ./run.sh --help                      # every option, with its value here
#
# Options given here are the recipe's; any option on the command line overrides them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

corpus=ravdess
model=acoustic
ser_config=               # empty: conf/train_ser.yaml, with --upstream conf/train_ser_upstream.yaml
fbank_opts="--resample"

./jser_folds.sh \
    --corpus "${corpus}" \
    --model "${model}" \
    --ser-config "${ser_config}" \
    --fbank-opts "${fbank_opts}" \
    "$@"
