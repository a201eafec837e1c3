#!/usr/bin/env bash
# cremad: speech emotion recognition, cross-validated.
# CREMA-D (Cao et al., 2014): 6 emotions, 91 actors, 5 speaker-disjoint folds (not EmoBox's split,
# which shares speakers between train and test). Acoustic-only model: twelve fixed sentences.
# No result has been measured with this recipe here: the corpus was not available (its
# preparation is tested on a fixture tree in the corpus's layout; see README.md).
#
#   ./run.sh --corpus-root /data/CREMA-D   # every stage, every fold -> exp/<model>_folds/RESULTS.md
#   ./run.sh --help                      # every option, with its value here
#
# Options given here are the recipe's; any option on the command line overrides them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

corpus=cremad
model=acoustic
ser_config=               # empty: conf/train_ser.yaml, with --upstream conf/train_ser_upstream.yaml
fbank_opts="--skip-bad"

./jser_folds.sh \
    --corpus "${corpus}" \
    --model "${model}" \
    --ser-config "${ser_config}" \
    --fbank-opts "${fbank_opts}" \
    "$@"
