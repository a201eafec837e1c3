#!/usr/bin/env bash
# Stage 0 of ravdess: the RAVDESS speech folder (Actor_01 ... Actor_24): utt2emo, text, spk2gender, spk2fold
# (6 folds of 4 consecutive actors)
# -> <datadir>/ravdess (steps/prepare_corpus.sh, jsertk prepare ravdess; options: --help):
#     local/data.sh --corpus-root /data/RAVDESS --datadir data
set -euo pipefail
exec steps/prepare_corpus.sh --corpus ravdess "$@"
