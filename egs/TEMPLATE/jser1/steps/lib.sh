#!/usr/bin/env bash
# Functions shared by the stage scripts (jser.sh, jser_folds.sh), sourced after their options are
# parsed: logging, .done markers, training and decoding through the launchers of cmd.sh. They read
# the scripts' ngpu, train_cmd, decode_cmd, decode_nj and decode_max_frames.
# shellcheck disable=SC2154  # those variables come from the sourcing script

log() { echo "$(date '+%Y-%m-%dT%H:%M:%S') $(basename "$0"): $*" >&2; }
# uniq_words WORDS...: the words (set names), each once, in the order named, space separated.
uniq_words() { tr -s '[:space:]' '\n' <<< "$*" | awk 'NF && !seen[$0]++' | xargs; }
# is_done MARKER SETTINGS: the work was finished with the same settings.
is_done() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }
# mark_done MARKER SETTINGS: written last, atomically.
mark_done() { printf '%s\n' "$2" > "$1.tmp" && mv "$1.tmp" "$1"; }

# train_model STAGE EXP ARGS...: jsertk train through ${train_cmd}, resuming an interrupted run of the same
# settings; a run of other settings in EXP is removed and trained again.
# train_inputs (optional, from the caller): what else the run depends on, recorded in its marker.
train_model() {
  local stage_no=$1 exp=$2; shift 2
  local settings="jsertk train $*${train_inputs:+ (inputs: ${train_inputs})}"
  if is_done "${exp}/.done.stage${stage_no}" "${settings}"; then
    log "stage ${stage_no}: ${exp} done before, skipped"; return 0
  fi
  local resume='' started_marker=${exp}/.started.stage${stage_no}
  if [ -f "${exp}/checkpoint.pth" ]; then
    if [ -f "${exp}/.done.stage${stage_no}" ] || { [ -f "${started_marker}" ] && ! is_done "${started_marker}" "${settings}"; }; then
      # trained or started with other settings (config, options, data): resuming would keep that model
      log "stage ${stage_no}: ${exp} was trained with other settings: removed, training it again from scratch"
      rm -rf "${exp}"
    else
      resume=--resume; log "stage ${stage_no}: resuming ${exp}"
    fi
  fi
  log "stage ${stage_no}: training ${exp} (progress: ${exp}/train.log)"
  mkdir -p "${exp}/log"
  mark_done "${started_marker}" "${settings}"
  local started=${SECONDS}
  local trainer=(jsertk train) resources=() device=(--set train.device=cpu)
  if [ "${ngpu}" -gt 0 ]; then resources=(--gpu "${ngpu}"); device=(--set train.device=cuda); fi
  if [ "${ngpu}" -gt 1 ]; then trainer=(torchrun --standalone --nproc-per-node "${ngpu}" -m jsertk.cli.main train); fi
  ${train_cmd} "${resources[@]}" "${exp}/log/train.launch.log" "${trainer[@]}" "$@" "${device[@]}" --outdir "${exp}" ${resume}
  mark_done "${exp}/.done.stage${stage_no}" "${settings}"
  log "stage ${stage_no}: ${exp} trained in $((SECONDS - started)) s"
}

# decode_feats TASK EXP FEATS REF OUT [DECODE OPTIONS]: decode the feature dir FEATS with EXP into OUT
# in ${decode_nj} jobs of ${decode_cmd} (steps/decode.sh: split on batch boundaries, jsertk
# decode/decode-asr per part, jsertk merge-decode), scored against the data dir REF; logs in OUT/log/.
decode_feats() {
  local task=$1 exp=$2 feats=$3 ref=$4 out=$5; shift 5
  steps/decode.sh --task "${task}" --nj "${decode_nj}" --cmd "${decode_cmd}" --ngpu "${ngpu}" \
    --max-frames-per-batch "${decode_max_frames}" --decode-opts "$*" --ref "${ref}" "${feats}" "${exp}" "${out}"
}
