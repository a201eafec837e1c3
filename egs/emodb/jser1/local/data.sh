#!/usr/bin/env bash
# Stage 0 of emodb: EmoDB as distributed (<corpus-root>/wav/SSTTTEV.wav): 535 utterances, 10 speakers, utt2emo, text,
# spk2gender, spk2fold (leave one speaker out)
# -> <datadir>/emodb (steps/prepare_corpus.sh, jsertk prepare emodb; options: --help):
#     local/data.sh --corpus-root /data/emodb --datadir data
set -euo pipefail
exec steps/prepare_corpus.sh --corpus emodb "$@"
