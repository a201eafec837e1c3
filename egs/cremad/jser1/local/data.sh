#!/usr/bin/env bash
# Stage 0 of cremad: the CREMA-D folder (AudioWAV/, VideoDemographics.csv): utt2emo, text, spk2gender, spk2fold
# (5 speaker-disjoint groups); --skip-missing lists the release's empty clip
# -> <datadir>/cremad (steps/prepare_corpus.sh, jsertk prepare cremad; options: --help):
#     local/data.sh --corpus-root /data/CREMA-D --datadir data
set -euo pipefail
exec steps/prepare_corpus.sh --corpus cremad --prepare-opts "--skip-missing" "$@"
