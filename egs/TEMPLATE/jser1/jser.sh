#!/usr/bin/env bash
# The shared stage script of the jser1 recipes. A recipe's run.sh names its sets and calls
#     ./jser.sh --train-set ... --dev-set ... --test-sets ... "$@"
# from the recipe directory (egs/<corpus>/jser1), which holds local/data.sh and links to
# this script, path.sh, cmd.sh and utils/. Every stage skips the sets it has already done
# (a .done marker written last, holding the settings it was made with).
set -euo pipefail

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') jser.sh: $*" >&2; }
help_message="Usage: $0 [options]
Runs stages --stage .. --stop-stage of a jser1 recipe; run it from the recipe directory.
Stages:
  0  data preparation: local/data.sh --nj N --datadir DIR <local-data-opts>, then
     jsertk data validate on every set"

stage=0                   # first stage to run
stop_stage=10000          # last stage to run
nj=$(nproc 2>/dev/null || echo 4)  # parallel jobs (default: the number of CPUs)
datadir=data              # Kaldi data dirs, one per set: <datadir>/<set>
train_set=                # emotion-labelled training set (required)
unlab_set=                # unlabelled set for semi-supervised training (empty: none)
asr_train_set=            # transcribed set for ASR pretraining (empty: none)
dev_set=                  # development set for model selection (required)
test_sets=                # sets to decode and score, space separated (required)
local_data_opts=          # options passed on to local/data.sh (see local/data.sh --help)

if [ ! -f utils/parse_options.sh ] || [ ! -x local/data.sh ]; then
  echo "jser.sh: run me from a recipe directory (egs/<corpus>/jser1 with utils/ and local/data.sh)" >&2
  exit 1
fi
. utils/parse_options.sh
if [ $# -gt 0 ]; then
  echo "jser.sh: unexpected argument '$1' (options are --name value; see $0 --help)" >&2
  exit 1
fi
. ./path.sh
. ./cmd.sh

for required in train_set dev_set test_sets; do
  if [ -z "${!required}" ]; then
    echo "jser.sh: --${required//_/-} is required (see $0 --help)" >&2
    exit 1
  fi
done
if ! [[ "${nj}" =~ ^[1-9][0-9]*$ ]]; then
  echo "jser.sh: --nj must be a positive integer, got '${nj}'" >&2
  exit 1
fi
# Every set once, in the order named.
all_sets=$(printf '%s\n' ${train_set} ${unlab_set} ${asr_train_set} ${dev_set} ${test_sets} | awk '!seen[$0]++' | xargs)

# is_done MARKER SETTINGS: the work was finished with the same settings.
is_done() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
# mark_done MARKER SETTINGS: written last, atomically.
mark_done() { printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1"; }

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  settings="local/data.sh ${local_data_opts}"
  todo=
  for set in ${all_sets}; do
    is_done "${datadir}/${set}/.done.stage0" "${settings}" || todo="${todo} ${set}"
  done
  if [ -z "${todo}" ]; then
    log "stage 0: data ready for ${all_sets} (${datadir}/<set>/.done.stage0), skipped"
  else
    log "stage 0: data preparation for${todo}"
    SECONDS=0
    # eval, so that quoted values inside --local-data-opts stay one word:
    #   --local-data-opts '--size full --synth-opts "--num-dev 50 --num-test 50"'
    eval "local/data.sh --nj \"\${nj}\" --datadir \"\${datadir}\" ${local_data_opts}"
    for set in ${all_sets}; do
      if [ ! -d "${datadir}/${set}" ]; then
        log "error: local/data.sh did not make ${datadir}/${set}"
        exit 1
      fi
      jsertk data validate "${datadir}/${set}"
      mark_done "${datadir}/${set}/.done.stage0" "${settings}"
    done
    log "stage 0: done in ${SECONDS} s"
  fi
fi

log "finished (--stage ${stage} --stop-stage ${stop_stage})"
