#!/usr/bin/env bash
# meld: speech emotion recognition, cross-validated.
# MELD (Poria et al., 2019): 7 emotions, the official train/dev/test split (one fold; it shares
# speakers between its parts, as the field reports it). Joint model with the transcripts. Needs
# ffmpeg: the audio is read from the mp4 clips.
# No result has been measured with this recipe here: the corpus was not available (its
# preparation is tested on a fixture tree in the corpus's layout; see README.md).
#
#   ./run.sh --corpus-root /data/MELD.Raw   # every stage, every fold -> exp/<model>_folds/RESULTS.md
#   ./run.sh --help                      # every option, with its value here
#
# Options given here are the recipe's; any option on the command line overrides them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

corpus=meld
model=joint
ser_config=conf/train_ser_joint.yaml
fbank_opts="--skip-bad"
fold_opts="--allow-shared-speakers"  # the official split shares speakers (reported as such)

./jser_folds.sh \
    --corpus "${corpus}" \
    --model "${model}" \
    --ser-config "${ser_config}" \
    --fbank-opts "${fbank_opts}" \
    --fold-opts "${fold_opts}" \
    "$@"
