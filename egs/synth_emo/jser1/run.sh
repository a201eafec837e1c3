#!/usr/bin/env bash
# synth_emo: joint ASR and emotion recognition on the embedded synthetic corpus (espeak-ng),
# end to end on CPU with nothing to download. From the repository root, `make demo` runs it.
#
#   ./run.sh                                    # every stage, demo-size corpus (1440 utterances)
#   ./run.sh --stop-stage 0                     # make the corpus only
#   ./run.sh --local-data-opts "--size full"    # the larger corpus (13200 utterances)
#   ./run.sh --help                             # every option, with its value here
#
# Options given here are the recipe's; any option on the command line overrides them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

# Sets made by local/data.sh (jsertk synth-corpus). dev and test speakers are held out from
# training and from each other; train_unlabeled's true labels wait in data/train_unlabeled/.ref/.
train_set=train_labeled         # emotion, transcript, speaker, gender
unlab_set=train_unlabeled       # audio only
asr_train_set=asr_train         # transcript, speaker, gender; no emotion
dev_set=dev                     # all labels; model selection
test_sets="test"                # all labels; held-out speakers
token_type=char                 # characters: learn faster than bpe150 on 0.4 h of speech (docs/asr.md)
# Stage 6 ASR decoding: joint CTC/attention beam search fused with the stage-2 token n-gram LM;
# order and weight tuned on dev (docs/asr.md, "Language model")
asr_decode_opts="--method joint --beam-size 10 --ctc-weight 0.5 --penalty 2.0"
lm_order=8
lm_weight=1.0
# Stage 5: one semi-supervised round keeps `make demo` near 15 minutes on 2 cores; each further
# round (--ssl-rounds 2) adds about 4 minutes (results of two rounds: docs/semi-supervised.md)
ssl_rounds=1

./jser.sh \
    --train-set "${train_set}" \
    --unlab-set "${unlab_set}" \
    --asr-train-set "${asr_train_set}" \
    --dev-set "${dev_set}" \
    --test-sets "${test_sets}" \
    --token-type "${token_type}" \
    --asr-decode-opts "${asr_decode_opts}" \
    --lm-order "${lm_order}" \
    --lm-weight "${lm_weight}" \
    --ssl-rounds "${ssl_rounds}" \
    "$@"
