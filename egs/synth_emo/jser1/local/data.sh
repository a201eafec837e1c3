#!/usr/bin/env bash
# Stage 0 of synth_emo: generate the synthetic emotional speech corpus (audio, meta/,
# corpus.json) into --corpus-dir and its Kaldi data dirs (train_labeled, train_unlabeled,
# asr_train, dev, test) into --datadir. Rerunning with the same options resumes; other
# options into a used corpus dir are refused (pass --synth-opts --overwrite to replace it).
set -euo pipefail

help_message="Usage: local/data.sh [options]"
nj=2                 # parallel synthesis processes
datadir=data         # where the data dirs go: <datadir>/<set>
corpus_dir=          # audio and metadata; empty: <datadir>/local/synth_emo
size=demo            # tiny (48 utterances, tests), demo (1440, ~1.1 h), full (13200, ~10 h)
seed=0               # corpus random seed
synth_opts=          # more jsertk synth-corpus options, e.g. "--lexical-fraction 0.3 --snr-min 5"

. utils/parse_options.sh
if [ $# -gt 0 ]; then
  echo "local/data.sh: unexpected argument '$1' (see local/data.sh --help)" >&2
  exit 1
fi
. ./path.sh

corpus_dir=${corpus_dir:-${datadir}/local/synth_emo}
# shellcheck disable=SC2086  # synth_opts is a list of words
jsertk synth-corpus "${corpus_dir}" --data-dir "${datadir}" --size "${size}" --seed "${seed}" --nj "${nj}" \
    ${synth_opts}
