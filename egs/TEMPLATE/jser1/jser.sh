#!/usr/bin/env bash
# The shared stage script of the jser1 recipes. A recipe's run.sh names its sets and calls
#     ./jser.sh --train-set ... --dev-set ... --test-sets ... "$@"
# from the recipe directory (egs/<corpus>/jser1), which holds local/data.sh and links to
# this script, path.sh, cmd.sh and utils/. Every stage skips the sets it has already done
# (a .done marker written last, holding the settings it was made with).
set -euo pipefail

help_message="Usage: $0 [options]
Runs stages --stage .. --stop-stage of a jser1 recipe; run it from the recipe directory.
Stages:
  0  data preparation: local/data.sh --nj N --datadir DIR <local-data-opts>, then
     jsertk data validate on every set
  1  features: fbank of every set in --nj jobs (steps/make_fbank.sh), with --speed-perturb-factors
     of speed-perturbed copies of the training sets; global CMVN stats (cmvn.ark) of the ASR
     training features only (--asr-train-set, else --train-set), which stage 3 normalises with;
     with --whisper-lexical DIR, also that Whisper's 1-best and decoder states of every set beside
     its features (steps/make_lexical.sh, jsertk dump-lexical), which the joint models of stages
     4-5 read as their lexical view (lexical.source whisper_states) and stage 5 as pseudo transcripts
  2  tokenizer (sentencepiece) from the transcripts of the training sets; with --use-lm, a token
     n-gram LM (jsertk train-lm) on the same transcripts -> <expdir>/lm_<token type><nbpe>_o<order>
  3  ASR pretraining (jsertk train --config \$asr_config) on the ASR and labelled sets, with the
     global CMVN of stage 1 (the ASR training features); stages 4-5 inherit it through --init
  4  joint ASR-SER fine-tuning initialised from stage 3 (jsertk train --config \$jser_config)
  5  semi-supervised rounds r=1..\$ssl_rounds: the teacher (stage 4, then the last student)
     pseudo-labels --unlab-set (jsertk pseudolabel -> <datadir>/<unlab set>_pl_<student name>),
     a student (<jser exp>_<ssl tag>_r<round>) trains on the labelled, ASR and
     pseudo-labelled sets (\$ssl_config); stops early when the dev UA stops improving; writes
     <jser exp>_<ssl tag>_rounds/rounds.md and names the best model in its final_model
  6  decoding and scoring of every test set: ASR WER (stage 3 model), emotion UA/WA/F1,
     CCC and WER of the joint model (the best of stage 5 when it ran)
  7  pack the joint model for jsertk infer (<final jser exp>/packed)
Decoding (stages 5 and 6) runs in --decode-nj jobs of \$decode_cmd, one GPU each with --ngpu > 0
(steps/decode.sh: parts cut on the batch boundaries of one job, jsertk decode / decode-asr per
part, jsertk merge-decode: the outputs are those of one job; logs in <exp>/decode_<set>/log/)."

stage=0                   # first stage to run
stop_stage=10000          # last stage to run
nj=$(nproc 2>/dev/null || echo 4)  # parallel jobs (default: the number of CPUs)
ngpu=0                    # GPUs per training job: 0 = CPU, 1 = one GPU, N > 1 = torchrun with N processes (DDP); > 0: decoding jobs use one GPU each
datadir=data              # Kaldi data dirs, one per set: <datadir>/<set>
train_set=                # emotion-labelled training set (required)
unlab_set=                # unlabelled set for semi-supervised training (empty: none)
asr_train_set=            # transcribed set for ASR pretraining (empty: none)
dev_set=                  # development set for model selection (required)
test_sets=                # sets to decode and score, space separated (required)
corpus_root=              # the corpus as distributed, for local/data.sh --corpus-root (empty: not passed)
local_data_opts=          # options passed on to local/data.sh (see local/data.sh --help)
dumpdir=dump              # features: <dumpdir>/fbank/<set> (feats.scp, utt2num_frames, cmvn.ark)
fbank_opts=               # more jsertk compute-fbank options, e.g. "--num-mel-bins 80 --skip-bad"
whisper_lexical=          # a local Whisper folder: a frozen pretrained Whisper feeds the lexical view (empty: the joint model's own ASR branch)
whisper_lexical_opts=     # more jsertk dump-lexical options, e.g. "--beam-size 5" or "--device cuda"
speed_perturb_factors=    # e.g. "0.9 1.0 1.1": train on speed-perturbed copies <set>_sp (empty: off)
token_type=bpe            # tokenizer: bpe, unigram or char (sentencepiece)
nbpe=150                  # tokenizer vocabulary size (bpe/unigram)
asr_config=conf/train_asr.yaml    # ASR pretraining config (stage 3)
asr_tag=                  # ASR experiment name exp/asr_<tag> (empty: the config's file name)
asr_args=                 # more jsertk train options for stage 3, e.g. "--set train.max_epochs=5"
jser_config=conf/train_jser.yaml  # joint ASR-SER config (stage 4)
jser_tag=                 # joint experiment name exp/jser_<tag> (empty: the config's file name)
jser_args=                # more jsertk train options for stage 4
ssl_rounds=2              # stage 5: pseudo-label rounds (0: no semi-supervised training)
ssl_config=conf/train_jser_ssl.yaml  # stage 5 student config (data_roles: ser, asr, pseudo)
ssl_tag=                  # students are <jser exp>_<ssl tag>_r<round> (empty: from the config's file name, train_jser_ssl.yaml -> ssl)
ssl_student_init=asr      # asr: every student starts from the stage-3 ASR model; previous: from its teacher
ssl_args=                 # more jsertk train options for the students
pseudolabel_opts="--threshold 0.5 --agreement fused-with-either"  # jsertk pseudolabel selection options
ssl_patience=1            # stage 5 stops after this many rounds without a better dev UA
asr_decode_opts=          # jsertk decode-asr options for stage 6, e.g. "--method joint --beam-size 10"
use_lm=true               # train a token n-gram LM in stage 2 and fuse it into stage 6's ctc_beam/joint decoding
lm_order=6                # n-gram order of that LM, in tokens
lm_weight=0.3             # stage 6: weight of the LM's log-probability (decode-asr --lm-weight)
decode_nj=                # decoding and pseudo-labelling jobs in stages 5-6 (empty: --nj); each holds a model (and a GPU with --ngpu > 0)
decode_max_frames=20000   # padded input frames per decoding batch (decoders' --max-frames-per-batch); jobs split on its batch boundaries
expdir=exp                # experiments: <expdir>/asr_<tag>, <expdir>/jser_<tag>
asr_only=false            # true: an ASR recipe (egs/librispeech/asr1): stages 0-3 and stage 6's ASR decoding only

if [ ! -f utils/parse_options.sh ] || [ ! -d steps ] || [ ! -x local/data.sh ]; then
  echo "jser.sh: run me from a recipe directory (egs/<corpus>/jser1 with utils/, steps/ and local/data.sh)" >&2
  exit 1
fi
# shellcheck source=SCRIPTDIR/../../../tools/utils/parse_options.sh  # utils -> tools/utils in a recipe dir
. utils/parse_options.sh
if [ $# -gt 0 ]; then
  echo "jser.sh: unexpected argument '$1' (options are --name value; see $0 --help)" >&2
  exit 1
fi
# shellcheck source=SCRIPTDIR/path.sh
. ./path.sh
# shellcheck source=SCRIPTDIR/cmd.sh
. ./cmd.sh
# shellcheck source=SCRIPTDIR/steps/lib.sh
. steps/lib.sh

for required in train_set dev_set test_sets; do
  if [ -z "${!required}" ]; then
    echo "jser.sh: --${required//_/-} is required (see $0 --help)" >&2
    exit 1
  fi
done
if ! [[ "${ngpu}" =~ ^[0-9]+$ ]]; then
  echo "jser.sh: --ngpu must be a non-negative integer, got '${ngpu}'" >&2
  exit 1
fi
if ! [[ "${nj}" =~ ^[1-9][0-9]*$ ]]; then
  echo "jser.sh: --nj must be a positive integer, got '${nj}'" >&2
  exit 1
fi
decode_nj=${decode_nj:-${nj}}
if ! [[ "${decode_nj}" =~ ^[1-9][0-9]*$ ]]; then
  echo "jser.sh: --decode-nj must be a positive integer, got '${decode_nj}'" >&2
  exit 1
fi
all_sets=$(uniq_words "${train_set} ${unlab_set} ${asr_train_set} ${dev_set} ${test_sets}")

if [ "${stage}" -le 0 ] && [ "${stop_stage}" -ge 0 ]; then
  settings="local/data.sh ${corpus_root:+--corpus-root ${corpus_root} }${local_data_opts}"
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
    root_opt=
    # shellcheck disable=SC2016  # expanded by the eval below
    [ -z "${corpus_root}" ] || root_opt='--corpus-root "${corpus_root}"'
    eval "local/data.sh ${root_opt} --nj \"\${nj}\" --datadir \"\${datadir}\" ${local_data_opts}"
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

train_sets=$(uniq_words "${train_set} ${asr_train_set}")
cmvn_set=${asr_train_set:-${train_set}}  # the ASR training features: their global CMVN stats normalise the models' input
sp_suffix=${speed_perturb_factors:+_sp}
if [ "${stage}" -le 1 ] && [ "${stop_stage}" -ge 1 ]; then
  log "stage 1: fbank features of ${all_sets}${sp_suffix:+, speed perturbation ${speed_perturb_factors}}"
  SECONDS=0
  if [ -n "${speed_perturb_factors}" ]; then
    for set in ${train_sets}; do
      settings="jsertk speed-perturb --factors ${speed_perturb_factors}"
      is_done "${datadir}/${set}_sp/.done.stage1" "${settings}" && continue
      jsertk speed-perturb "${datadir}/${set}" "${datadir}/${set}_sp" --factors "$(xargs <<< "${speed_perturb_factors}" | tr ' ' ,)"
      mark_done "${datadir}/${set}_sp/.done.stage1" "${settings}"
    done
  fi
  for set in ${all_sets}; do
    src=${set}
    case " ${train_sets} " in *" ${set} "*) src=${set}${sp_suffix} ;; esac
    cmvn=false; [ "${set}" = "${cmvn_set}" ] && cmvn=true  # global CMVN stats of the ASR training features only
    settings="steps/make_fbank.sh --fbank-opts '${fbank_opts}' --cmvn ${cmvn} ${datadir}/${src}"
    # (features made with --cmvn true serve as well where no stats are needed: an older jser.sh
    # computed them for every training set)
    if is_done "${dumpdir}/fbank/${src}/.done.stage1" "${settings}" \
      || { [ "${cmvn}" = false ] && is_done "${dumpdir}/fbank/${src}/.done.stage1" "${settings/--cmvn false/--cmvn true}"; }; then
      log "stage 1: ${dumpdir}/fbank/${src} done before, skipped"; continue
    fi
    steps/make_fbank.sh --nj "${nj}" --cmd "${feats_cmd}" --fbank-opts "${fbank_opts}" --cmvn "${cmvn}" \
      "${datadir}/${src}" "${dumpdir}/fbank/${src}"
    mark_done "${dumpdir}/fbank/${src}/.done.stage1" "${settings}"
  done
  if [ -n "${whisper_lexical}" ]; then
    for set in ${all_sets}; do
      src=${set}
      case " ${train_sets} " in *" ${set} "*) src=${set}${sp_suffix} ;; esac
      # the fbank settings too: new features drop the states beside them
      settings="steps/make_lexical.sh --whisper ${whisper_lexical} --lexical-opts '${whisper_lexical_opts}' ($(cat "${dumpdir}/fbank/${src}/.done.stage1"))"
      if is_done "${dumpdir}/fbank/${src}/.done.lexical" "${settings}" && [ -f "${dumpdir}/fbank/${src}/lexical.scp" ]; then
        log "stage 1: Whisper states of ${dumpdir}/fbank/${src} done before, skipped"; continue
      fi
      steps/make_lexical.sh --nj "${nj}" --cmd "${feats_cmd}" --whisper "${whisper_lexical}" \
        --lexical-opts "${whisper_lexical_opts}" "${datadir}/${src}" "${dumpdir}/fbank/${src}"
      mark_done "${dumpdir}/fbank/${src}/.done.lexical" "${settings}"
    done
  fi
  log "stage 1: done in ${SECONDS} s"
fi

token_dir=${datadir}/token_list/${token_type}${nbpe}
[ "${token_type}" = char ] && token_dir=${datadir}/token_list/char
asr_exp=${expdir}/asr_${asr_tag:-$(basename "${asr_config}" .yaml | sed 's/^train_//')}
jser_exp=${expdir}/jser_${jser_tag:-$(basename "${jser_config}" .yaml | sed 's/^train_//')}
lm_dir=${expdir}/lm_${token_type}$([ "${token_type}" = char ] || echo "${nbpe}")_o${lm_order}
feats() { echo "${dumpdir}/fbank/$1"; }
# The joint models' lexical view: a frozen Whisper's decoder states (stage 1) instead of their own ASR branch
lexical_args=
if [ -n "${whisper_lexical}" ]; then
  lexical_args="--set lexical.source=whisper_states --set lexical.whisper=${whisper_lexical}"
fi
train_feats() { echo "${dumpdir}/fbank/$1${sp_suffix}"; }
# The training feature dirs of the joint models: the emotion-labelled set, then the ASR-only set.
jser_feats=("$(train_feats "${train_set}")")
if [ -n "${asr_train_set}" ]; then jser_feats+=("$(train_feats "${asr_train_set}")"); fi

if [ "${stage}" -le 2 ] && [ "${stop_stage}" -ge 2 ]; then
  train_data=()
  for s in ${train_sets}; do train_data+=("${datadir}/${s}"); done
  settings="jsertk train-tokenizer ${train_sets} --model-type ${token_type} --vocab-size ${nbpe}"
  if is_done "${token_dir}/.done.stage2" "${settings}"; then
    log "stage 2: tokenizer ${token_dir} done before, skipped"
  else
    log "stage 2: tokenizer (${token_type}) from the text of ${train_sets} -> ${token_dir}"
    jsertk train-tokenizer "${train_data[@]}" \
      --outdir "${token_dir}" --model-type "${token_type}" --vocab-size "${nbpe}"
    mark_done "${token_dir}/.done.stage2" "${settings}"
  fi
  if [ "${use_lm}" = true ]; then
    # Training transcripts only: dev and test text never reach the LM.
    settings="jsertk train-lm ${train_sets} --tokenizer ${token_dir} --order ${lm_order} ($(cat "${token_dir}/.done.stage2"))"
    if is_done "${lm_dir}/.done.stage2" "${settings}"; then
      log "stage 2: LM ${lm_dir} done before, skipped"
    else
      log "stage 2: token ${lm_order}-gram LM from the text of ${train_sets} -> ${lm_dir}"
      jsertk train-lm "${train_data[@]}" \
        --tokenizer "${token_dir}" --order "${lm_order}" --out "${lm_dir}"
      mark_done "${lm_dir}/.done.stage2" "${settings}"
    fi
  fi
fi

if [ "${stage}" -le 3 ] && [ "${stop_stage}" -ge 3 ]; then
  asr_feats=()
  for s in ${train_sets}; do asr_feats+=("$(train_feats "${s}")"); done
  # shellcheck disable=SC2086  # asr_args is a list of words
  train_model 3 "${asr_exp}" "${asr_feats[@]}" \
    --valid "$(feats "${dev_set}")" --config "${asr_config}" --set "tokenizer=${token_dir}" \
    --set "cmvn=$(train_feats "${cmvn_set}")/cmvn.ark" ${asr_args}
fi

if [ "${stage}" -le 4 ] && [ "${stop_stage}" -ge 4 ] && [ "${asr_only}" = false ]; then
  # The emotion-labelled set first, then the ASR-only set: the config's data_roles follow this order.
  # shellcheck disable=SC2086  # jser_args is a list of words
  train_model 4 "${jser_exp}" "${jser_feats[@]}" \
    --valid "$(feats "${dev_set}")" --config "${jser_config}" --init "${asr_exp}" ${lexical_args} ${jser_args}
fi

# run_decode TASK EXP SET [DECODE OPTIONS]: decode SET with EXP in ${decode_nj} jobs of ${decode_cmd}
# (steps/decode.sh: split on batch boundaries, jsertk decode/decode-asr per part, jsertk merge-decode),
# scored against <datadir>/SET; logs in EXP/decode_SET/log/.
run_decode() {
  local task=$1 exp=$2 set=$3; shift 3
  decode_feats "${task}" "${exp}" "$(feats "${set}")" "${datadir}/${set}" "${exp}/decode_${set}" "$@"
}
# decode_ser EXP SET: emotion, dimensions and transcript of SET with a joint model, scored.
# (scores.json: fused head; acoustic/, lexical/: single-view heads; wer/: transcripts; summary.json: all)
decode_ser() { run_decode jser "$1" "$2"; }
# decoded EXP SET: decode_ser EXP SET finished after EXP's model was written.
decoded() { [ -f "$1/decode_$2/summary.json" ] && [ "$1/decode_$2/summary.json" -nt "$1/model.pth" ]; }
# the UA in a scores.json of score-ser
ua_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["UA"])' "$1"; }

ssl_name=${ssl_tag:-$(basename "${ssl_config}" .yaml | sed 's/^train_//; s/^jser_//')}
if [ "${stage}" -le 5 ] && [ "${stop_stage}" -ge 5 ] && [ "${ssl_rounds}" -gt 0 ] && [ "${asr_only}" = false ]; then
  if [ -z "${unlab_set}" ]; then
    log "error: stage 5 needs --unlab-set (or --ssl-rounds 0)"; exit 1
  fi
  case "${ssl_student_init}" in asr|previous) ;; *)
    log "error: --ssl-student-init must be asr or previous, got '${ssl_student_init}'"; exit 1 ;;
  esac
  SECONDS=0
  pl_device=cpu  # its jobs ask the launcher for no GPU: on Slurm they could land where there is none
  if [ "${ngpu}" -gt 0 ]; then
    if [ "${cmd_backend}" = local ]; then pl_device=cuda
    else log "stage 5: pseudo-labelling on CPUs (jsertk pseudolabel's slurm jobs request no GPU)"; fi
  fi
  summary=${jser_exp}_${ssl_name}_rounds
  teacher=${jser_exp}; best=${jser_exp}; rounds=("${jser_exp}")
  decoded "${jser_exp}" "${dev_set}" || decode_ser "${jser_exp}" "${dev_set}"
  best_ua=$(ua_of "${jser_exp}/decode_${dev_set}/scores.json"); stale=0
  log "stage 5: round 0 (${jser_exp}): dev UA ${best_ua}"
  for r in $(seq 1 "${ssl_rounds}"); do
    student=${jser_exp}_${ssl_name}_r${r}
    pl_dir=${datadir}/${unlab_set}_pl_$(basename "${student}")  # one per student: variants never share labels
    # the teacher's weights (size, time) are part of the settings: a retrained teacher relabels
    settings="jsertk pseudolabel --model ${teacher} ($(stat -c '%s %Y' "${teacher}/model.pth")) ${pseudolabel_opts}"
    if is_done "${pl_dir}/.done.stage5" "${settings}"; then
      log "stage 5: round ${r}: pseudo labels ${pl_dir} done before, skipped"
    else
      log "stage 5: round ${r}: ${teacher} pseudo-labels ${unlab_set} -> ${pl_dir}"
      # jsertk pseudolabel runs its own job array (--nj parts through the launcher of --backend)
      # shellcheck disable=SC2086  # pseudolabel_opts is a list of words
      jsertk pseudolabel --model "${teacher}" --data "$(feats "${unlab_set}")" --labels-from "${datadir}/${unlab_set}" \
        --out "${pl_dir}" --nj "${decode_nj}" --backend "${cmd_backend}" --device "${pl_device}" ${pseudolabel_opts}
      rm -f "${student}/.done.stage5" "${student}/checkpoint.pth"  # a student of older labels is stale
      mark_done "${pl_dir}/.done.stage5" "${settings}"
    fi
    init=${asr_exp}; [ "${ssl_student_init}" = previous ] && init=${teacher}
    # The labelled set, the ASR set, then the pseudo-labelled set: the ssl config's data_roles follow this order.
    # shellcheck disable=SC2086  # ssl_args is a list of words
    train_inputs=$(cat "${pl_dir}/.done.stage5") train_model 5 "${student}" "${jser_feats[@]}" \
      "${pl_dir}" --valid "$(feats "${dev_set}")" --config "${ssl_config}" --init "${init}" ${lexical_args} ${ssl_args}
    for set in ${dev_set} ${test_sets}; do
      decoded "${student}" "${set}" || decode_ser "${student}" "${set}"
    done
    rounds+=("${student}")
    ua=$(ua_of "${student}/decode_${dev_set}/scores.json")
    log "stage 5: round ${r} (${student}): dev UA ${ua} (best so far ${best_ua})"
    if python3 -c 'import sys; sys.exit(not float(sys.argv[1]) > float(sys.argv[2]))' "${ua}" "${best_ua}"; then
      best=${student}; best_ua=${ua}; stale=0
    else
      stale=$((stale + 1))
    fi
    teacher=${student}
    if [ "${stale}" -ge "${ssl_patience}" ]; then
      log "stage 5: dev UA has not improved for ${stale} round(s): stopping after round ${r}"; break
    fi
  done
  for set in ${test_sets}; do
    decoded "${jser_exp}" "${set}" || decode_ser "${jser_exp}" "${set}"
  done
  python3 steps/ssl_rounds_table.py --datadir "${datadir}" --unlab-set "${unlab_set}" --dev-set "${dev_set}" \
    --test-sets "${test_sets}" --out "${summary}" "${rounds[@]}"
  printf '%s\n' "${best}" > "${summary}/final_model.tmp" && mv "${summary}/final_model.tmp" "${summary}/final_model"
  log "stage 5: done in ${SECONDS} s; best model ${best} (dev UA ${best_ua}); rounds table ${summary}/rounds.md"
fi

# The model of stages 6 and 7: stage 5's best when it ran, else stage 4's.
final_jser_exp=${jser_exp}
if [ "${ssl_rounds}" -gt 0 ] && [ -f "${jser_exp}_${ssl_name}_rounds/final_model" ]; then
  final_jser_exp=$(cat "${jser_exp}_${ssl_name}_rounds/final_model")
fi

if [ "${stage}" -le 6 ] && [ "${stop_stage}" -ge 6 ]; then
  SECONDS=0
  lm_opts=
  if [ "${use_lm}" = true ]; then
    case " ${asr_decode_opts} " in
      *" --method joint "*|*" --method ctc_beam "*|*" --method=joint "*|*" --method=ctc_beam "*)
        [ -f "${lm_dir}/lm.arpa" ] || { log "error: ${lm_dir}/lm.arpa missing: run stage 2 (or --use-lm false)"; exit 1; }
        lm_opts="--lm ${lm_dir}/lm.arpa --lm-weight ${lm_weight}" ;;
      *) log "stage 6: greedy ASR decoding takes no LM (set --asr-decode-opts '--method joint ...' to use ${lm_dir})" ;;
    esac
  fi
  for set in ${test_sets}; do
    log "stage 6: decoding ${set}"
    run_decode asr "${asr_exp}" "${set}" "${asr_decode_opts}" "${lm_opts}"  # WER: scores.json, result.txt
    if [ "${asr_only}" = true ]; then
      python3 -c 'import json, sys; w = json.load(open(sys.argv[1]))["wer"]; print(f"results {sys.argv[2]}: ASR WER {100 * w:.2f}%", file=sys.stderr)' \
        "${asr_exp}/decode_${set}/scores.json" "${set}"
      continue
    fi
    decode_ser "${final_jser_exp}" "${set}"
    python3 - "${asr_exp}/decode_${set}/scores.json" "${final_jser_exp}/decode_${set}/scores.json" \
      "${final_jser_exp}/decode_${set}/wer/scores.json" "${set}" <<'PY'
import json, sys
asr, ser, jwer = (json.load(open(p)) for p in sys.argv[1:4])
print(f"results {sys.argv[4]}: ASR WER {100 * asr['wer']:.2f}% | joint model: UA {100 * ser['UA']:.2f}% "
      f"WA {100 * ser['WA']:.2f}% macro-F1 {100 * ser['macro_F1']:.2f}% WER {100 * jwer['wer']:.2f}%", file=sys.stderr)
PY
  done
  log "stage 6: done in ${SECONDS} s (scores: ${asr_exp}/decode_<set>/, ${final_jser_exp}/decode_<set>/)"
fi

if [ "${stage}" -le 7 ] && [ "${stop_stage}" -ge 7 ] && [ "${asr_only}" = false ]; then
  log "stage 7: packing ${final_jser_exp} -> ${final_jser_exp}/packed"
  jsertk pack "${final_jser_exp}" --out "${final_jser_exp}/packed" --fbank-config "$(train_feats "${train_set}")/fbank.yaml"
fi

log "finished (--stage ${stage} --stop-stage ${stop_stage})"
