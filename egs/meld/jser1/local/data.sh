#!/usr/bin/env bash
# Stage 0 of meld: the unpacked MELD.Raw folder: utt2emo, text, utt2fold (the official split); audio through
# ffmpeg; --skip-missing lists clips the tables name but the release lacks
# -> <datadir>/meld (steps/prepare_corpus.sh, jsertk prepare meld; options: --help):
#     local/data.sh --corpus-root /data/MELD.Raw --datadir data
set -euo pipefail
exec steps/prepare_corpus.sh --corpus meld --prepare-opts "--skip-missing" "$@"
