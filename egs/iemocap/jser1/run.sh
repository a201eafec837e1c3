#!/usr/bin/env bash
# iemocap: speech emotion recognition, cross-validated.
# IEMOCAP (Busso et al., 2008): 4 classes (conf/class_map.yaml: excited merged into happy, the
# standard 5,531 utterances; --local-data-opts "--class-map conf/class_map_6.yaml" for six), 10
# speakers, leave one session out (5 folds). Joint model: the transcripts train an ASR branch per
# fold (or --asr-exp) and the lexical view.
# No result has been measured with this recipe here: the corpus was not available (its
# preparation is tested on a fixture tree in the corpus's layout; see README.md).
#
#   ./run.sh --corpus-root /data/IEMOCAP_full_release   # every stage, every fold -> exp/<model>_folds/RESULTS.md
#   ./run.sh --help                      # every option, with its value here
#
# Options given here are the recipe's; any option on the command line overrides them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

corpus=iemocap
model=joint
ser_config=conf/train_ser_joint.yaml
fbank_opts=""

./jser_folds.sh \
    --corpus "${corpus}" \
    --model "${model}" \
    --ser-config "${ser_config}" \
    --fbank-opts "${fbank_opts}" \
    "$@"
