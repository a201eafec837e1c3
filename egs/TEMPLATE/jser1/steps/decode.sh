#!/usr/bin/env bash
# Decoding of one feature dir in parallel jobs, merged into one decode dir that holds what one job
# would have written, then (with --ref) scored:
#     steps/decode.sh [options] <feat-dir> <model-dir> <decode-dir>
# Needs jsertk on PATH (in a recipe: . ./path.sh).
set -euo pipefail

help_message="Usage: $0 [options] <feat-dir> <model-dir> <decode-dir>
Cuts <feat-dir> into at most --nj parts on the batch boundaries of one decoding job
(steps/split_for_decode.py -> <decode-dir>/split/<k>), decodes each part as one job of --cmd
(--task jser: jsertk decode; --task asr: jsertk decode-asr; logs <decode-dir>/log/decode.<k>.log),
merges the parts into <decode-dir> (jsertk merge-decode: the same hyp.* files as one job writes;
emo_post.scp points into the parts' emo_post.ark) and, with --ref, scores it as one job would
(output: <decode-dir>/log/merge.log). With one part, one job decodes <feat-dir> into <decode-dir>
and scores it (jser: in the job; asr: log/score.log)."

task=jser                   # jser: jsertk decode (emotion, dimensions, transcript); asr: jsertk decode-asr
nj=4                        # parallel jobs (at most one per batch)
cmd="jsertk launch --backend local"  # job launcher in Kaldi's call form, e.g. the decode_cmd of cmd.sh
ngpu=0                      # 0: the jobs decode on the CPU; > 0: each job on one GPU (--device cuda, launcher --gpu 1)
max_frames_per_batch=20000  # padded input frames per decoding batch; the parts are cut on its batch boundaries
decode_opts=                # more decoder options, e.g. "--method joint --beam-size 10" (asr); not --max-frames-per-batch
ref=                        # data dir with the reference labels to score against (empty: no scoring)

# shellcheck source=SCRIPTDIR/../../../../tools/utils/parse_options.sh
. "$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../../../../tools/utils" && pwd)/parse_options.sh"

if [ $# -ne 3 ]; then
  echo "${help_message}" >&2
  exit 1
fi
feats=$1
model=$2
dec=$3
steps_dir=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)

case "${task}" in
  jser) decoder=(jsertk decode) ;;
  asr) decoder=(jsertk decode-asr) ;;
  *) echo "decode.sh: --task must be jser or asr, got '${task}'" >&2; exit 1 ;;
esac
if ! [[ "${nj}" =~ ^[1-9][0-9]*$ ]]; then
  echo "decode.sh: --nj must be a positive integer, got '${nj}'" >&2
  exit 1
fi
if ! [[ "${ngpu}" =~ ^[0-9]+$ ]]; then
  echo "decode.sh: --ngpu must be a non-negative integer, got '${ngpu}'" >&2
  exit 1
fi
if [ ! -f "${feats}/feats.scp" ]; then
  echo "decode.sh: ${feats}/feats.scp not found" >&2
  exit 1
fi

resources=()
device=(--device cpu)
if [ "${ngpu}" -gt 0 ]; then resources=(--gpu 1); device=(--device cuda); fi
opts=(--model-dir "${model}" --max-frames-per-batch "${max_frames_per_batch}" "${device[@]}")
mkdir -p "${dec}/log"
rm -f "${dec}/log/"decode.*.log "${dec}/log/score.log" "${dec}/log/merge.log"

nparts=1
if [ "${nj}" -gt 1 ]; then
  nparts=$(python3 "${steps_dir}/split_for_decode.py" --nj "${nj}" --max-frames-per-batch "${max_frames_per_batch}" \
    "${feats}" "${dec}/split")
else
  rm -rf "${dec}/split"
fi
echo "decode.sh: ${feats} -> ${dec} in ${nparts} jobs (logs: ${dec}/log/decode.*.log)" >&2
if [ "${ngpu}" -eq 0 ] && [ "${nparts}" -gt 1 ]; then
  # CPU jobs on this machine share its cores (the local backend): torch threads per job so they add up to them
  threads=$(( $(nproc) / nparts )); [ "${threads}" -ge 1 ] || threads=1
  opts+=(--threads "${threads}")
fi

if [ "${nparts}" -eq 1 ]; then
  score=()
  [ -n "${ref}" ] && [ "${task}" = jser ] && score=(--ref "${ref}")  # scored in the job
  # shellcheck disable=SC2086  # cmd and decode_opts are lists of words
  ${cmd} "${resources[@]}" JOB=1:1 "${dec}/log/decode.JOB.log" \
    "${decoder[@]}" "${feats}" "${opts[@]}" --outdir "${dec}" ${decode_opts} "${score[@]}"
  if [ -n "${ref}" ] && [ "${task}" = asr ]; then
    jsertk score-wer "${ref}" "${dec}" --tokenizer "${model}/tokenizer" --name "$(basename "${ref}")" \
      > "${dec}/log/score.log"
  fi
else
  # shellcheck disable=SC2086  # cmd and decode_opts are lists of words
  ${cmd} "${resources[@]}" JOB=1:"${nparts}" "${dec}/log/decode.JOB.log" \
    "${decoder[@]}" "${dec}/split/JOB" "${opts[@]}" --outdir "${dec}/split/JOB" ${decode_opts}
  parts=()
  for k in $(seq 1 "${nparts}"); do parts+=("${dec}/split/${k}"); done
  score=()
  [ -n "${ref}" ] && score=(--ref "${ref}" --tokenizer "${model}/tokenizer")
  jsertk merge-decode "${dec}" "${parts[@]}" --data "${feats}" "${score[@]}" > "${dec}/log/merge.log"
fi
