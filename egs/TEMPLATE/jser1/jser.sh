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
     jsertk data validate on every set
  1  features: fbank of every set in --nj jobs (steps/make_fbank.sh), global CMVN stats
     from the training sets; optional speed perturbation of the training sets"

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
dumpdir=dump              # features: <dumpdir>/fbank/<set> (feats.scp, utt2num_frames, cmvn.ark)
fbank_opts=               # more jsertk compute-fbank options, e.g. "--num-mel-bins 80 --skip-bad"
speed_perturb_factors=    # e.g. "0.9 1.0 1.1": train on speed-perturbed copies <set>_sp (empty: off)

if [ ! -f utils/parse_options.sh ] || [ ! -d steps ] || [ ! -x local/data.sh ]; then
  echo "jser.sh: run me from a recipe directory (egs/<corpus>/jser1 with utils/, steps/ and local/data.sh)" >&2
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

train_sets=$(printf '%s\n' ${train_set} ${asr_train_set} | awk '!seen[$0]++' | xargs)
sp_suffix=${speed_perturb_factors:+_sp}
if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "stage 1: fbank features of ${all_sets}${sp_suffix:+, speed perturbation ${speed_perturb_factors}}"
  SECONDS=0
  if [ -n "${speed_perturb_factors}" ]; then
    for set in ${train_sets}; do
      settings="jsertk speed-perturb --factors ${speed_perturb_factors}"
      is_done "${datadir}/${set}_sp/.done.stage1" "${settings}" && continue
      jsertk speed-perturb "${datadir}/${set}" "${datadir}/${set}_sp" --factors "$(echo ${speed_perturb_factors} | tr ' ' ,)"
      mark_done "${datadir}/${set}_sp/.done.stage1" "${settings}"
    done
  fi
  for set in ${all_sets}; do
    src=${set}; cmvn=false  # global CMVN statistics come from the training sets
    case " ${train_sets} " in *" ${set} "*) src=${set}${sp_suffix}; cmvn=true ;; esac
    settings="steps/make_fbank.sh --fbank-opts '${fbank_opts}' --cmvn ${cmvn} ${datadir}/${src}"
    if is_done "${dumpdir}/fbank/${src}/.done.stage1" "${settings}"; then
      log "stage 1: ${dumpdir}/fbank/${src} done before, skipped"; continue
    fi
    steps/make_fbank.sh --nj "${nj}" --cmd "${feats_cmd}" --fbank-opts "${fbank_opts}" --cmvn "${cmvn}" \
      "${datadir}/${src}" "${dumpdir}/fbank/${src}"
    mark_done "${dumpdir}/fbank/${src}/.done.stage1" "${settings}"
  done
  log "stage 1: done in ${SECONDS} s"
fi

log "finished (--stage ${stage} --stop-stage ${stop_stage})"
