#!/usr/bin/env bash
# steps/make_lexical.sh [options] <data-dir> <feats-dir>
# A frozen pretrained Whisper as the ASR branch of the lexical view: its 1-best and decoder states
# of every utterance of <data-dir>, written beside the features of <feats-dir> (jsertk dump-lexical).
set -euo pipefail

help_message="Usage: $0 [options] <data-dir> <feats-dir>
Splits <data-dir> into --nj parts, runs Whisper on each part as one job of --cmd
(jsertk dump-lexical --job JOB --nj N) and merges them into <feats-dir> (lexical.scp,
lexical_text, lexical_text_conf, lexical.yaml; jsertk dump-lexical --merge)."

nj=4                                  # parallel jobs (each loads Whisper; at most one per utterance)
cmd="jsertk launch --backend local"   # job launcher in Kaldi's call form, e.g. the feats_cmd of cmd.sh
whisper=                              # local Whisper folder (WhisperForConditionalGeneration; required)
lexical_opts=                         # more jsertk dump-lexical options, e.g. "--beam-size 5 --device cuda"
only_failed=false                     # rerun only jobs whose log does not record the same command succeeding
logdir=                               # job logs (empty: <feats-dir>/lexical/log)

# shellcheck source=SCRIPTDIR/../../../../tools/utils/parse_options.sh
. "$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../../../../tools/utils" && pwd)/parse_options.sh"

if [ $# -ne 2 ]; then
  echo "${help_message}" >&2
  exit 1
fi
data=$1
feats=$2
logdir=${logdir:-${feats}/lexical/log}
if [ -z "${whisper}" ]; then
  echo "make_lexical.sh: --whisper DIR is required (a local Whisper folder)" >&2
  exit 1
fi
for f in "${data}/utt2spk" "${data}/wav.scp" "${feats}/feats.scp"; do
  if [ ! -f "${f}" ]; then
    echo "make_lexical.sh: ${f} not found" >&2
    exit 1
  fi
done
if ! [[ "${nj}" =~ ^[1-9][0-9]*$ ]]; then
  echo "make_lexical.sh: --nj must be a positive integer, got '${nj}'" >&2
  exit 1
fi
units=$(wc -l < "${data}/utt2spk")
[ "${nj}" -le "${units}" ] || nj=${units}
if [ "${nj}" -gt 1 ]; then
  jsertk data split "${data}" "${nj}" --by utterance > /dev/null
fi
launch_opts=
[ "${only_failed}" = true ] && launch_opts=--only-failed
echo "make_lexical.sh: ${data} -> ${feats}/lexical.scp in ${nj} jobs (logs: ${logdir}/lexical.*.log)" >&2
# shellcheck disable=SC2086  # cmd and lexical_opts are lists of words
${cmd} ${launch_opts} JOB=1:"${nj}" "${logdir}/lexical.JOB.log" \
  jsertk dump-lexical "${data}" "${feats}" --whisper "${whisper}" --job JOB --nj "${nj}" --split-by utterance \
  --threads 1 --no-progress ${lexical_opts}
jsertk dump-lexical "${data}" "${feats}" --whisper "${whisper}" --nj "${nj}" --split-by utterance --merge
