#!/usr/bin/env bash
# emodb: speech emotion recognition on EmoDB (Berlin Database of Emotional Speech; Burkhardt et al.,
# Interspeech 2005): 7 emotions, 10 speakers, leave-one-speaker-out cross-validation (10 folds;
# each fold's dev speaker is the next fold's test speaker). Acoustic-only model: all speakers read
# the same ten sentences, so the words carry no emotion and there is nothing for a lexical view.
#
#   ./run.sh --corpus-root /data/emodb            # every stage, every fold; results in
#                                                 # exp/ser_tdnn_crop_pitch_sp_ens3_folds/RESULTS.md
#   ./run.sh --corpus-root /data/emodb --folds "1 3"  # two folds only
#   ./run.sh --stage 6                            # rescore what has been run
#   ./run.sh --help                               # every option, with its value here
#
# Options given here are the recipe's; any option on the command line overrides them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

corpus=emodb              # local/data.sh writes data/emodb
model=acoustic            # fixed sentences: acoustic only
fold_dev=next-fold        # dev speaker of fold k: the test speaker of fold k+1
# the fbank system chosen on the folds' dev speakers (README.md): three seeds per fold of a TDNN with
# random crops (conf/train_ser_tdnn_crop.yaml) over fbank + pitch (dump/fbank_pitch), trained on the
# training speakers and their copies at four speeds, posteriors averaged. --upstream replaces it (the
# states of a pretrained encoder, conf/train_ser_upstream.yaml)
ser_config=conf/train_ser_tdnn_crop.yaml
fbank_opts="--pitch"
speed_perturb_factors="0.8 0.9 1.1 1.2"
nseeds=3
fbank_system=(--ser-config "${ser_config}" --fbank-opts "${fbank_opts}"
              --speed-perturb-factors "${speed_perturb_factors}" --nseeds "${nseeds}")
prev=
for arg in "$@"; do  # --upstream DIR or --upstream=DIR (not empty): the upstream's config, no fbank options
  case "${arg}" in --upstream=?*) fbank_system=() ;; esac
  if [ "${prev}" = --upstream ] && [ -n "${arg}" ]; then fbank_system=(); fi
  prev=${arg}
done

./jser_folds.sh \
    --corpus "${corpus}" \
    --model "${model}" \
    --fold-dev "${fold_dev}" \
    "${fbank_system[@]}" \
    "$@"
