#!/usr/bin/env bash
# librispeech/asr1: ASR pretraining on LibriSpeech (BPE tokens, the conformer with an attention
# decoder, the token n-gram LM), the --asr-exp that an emotion recipe initialises its joint model
# from (egs/iemocap/jser1: ./run.sh --asr-exp ../../librispeech/asr1/exp/asr_asr). Its data dirs
# also serve as auxiliary speaker/gender data and as an unlabelled pool (jser.sh --unlab-set).
# No result has been measured with this recipe here: LibriSpeech is not available on this machine
# (the preparation is tested on a fixture tree in its layout).
#
#   ./run.sh --corpus-root /data/LibriSpeech                 # train-clean-100, dev-clean, test-clean
#   ./run.sh --corpus-root /data/LibriSpeech --ngpu 1        # on a GPU (conf/train_asr.yaml is sized for one)
#   ./run.sh --help                                          # every option, with its value here
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

train_set=train_clean_100
dev_set=dev_clean
test_sets="test_clean"
token_type=bpe
nbpe=300                  # ESPnet's LibriSpeech-100 recipes use 300-5000 BPE units
asr_decode_opts="--method joint --beam-size 10 --ctc-weight 0.3"

./jser.sh \
    --asr-only true \
    --train-set "${train_set}" \
    --dev-set "${dev_set}" \
    --test-sets "${test_sets}" \
    --token-type "${token_type}" \
    --nbpe "${nbpe}" \
    --asr-decode-opts "${asr_decode_opts}" \
    --ssl-rounds 0 \
    --local-data-opts "--subsets '$(tr _ - <<< "${train_set} ${dev_set} ${test_sets}")'" \
    "$@"
