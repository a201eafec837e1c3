#!/usr/bin/env bash
# Stage 0 of iemocap: the IEMOCAP_full_release folder (Session1 ... Session5): utt2emo (conf/class_map.yaml),
# utt2dim, text, spk2gender, spk2fold (leave one session out)
# -> <datadir>/iemocap (steps/prepare_corpus.sh, jsertk prepare iemocap; options: --help):
#     local/data.sh --corpus-root /data/IEMOCAP_full_release --datadir data
set -euo pipefail
exec steps/prepare_corpus.sh --corpus iemocap "$@"
