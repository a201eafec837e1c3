#!/usr/bin/env bash
# Stage 0 of urdu: URDU as distributed (<corpus-root>/{Angry,Happy,Neutral,Sad}/*.wav, 44.1 kHz): 400
# utterances, 29 speakers, utt2emo, spk2gender, spk2fold (5 speaker-disjoint groups); no transcripts
# -> <datadir>/urdu (steps/prepare_corpus.sh, jsertk prepare urdu; options: --help):
#     local/data.sh --corpus-root /data/URDU --datadir data
set -euo pipefail
exec steps/prepare_corpus.sh --corpus urdu "$@"
