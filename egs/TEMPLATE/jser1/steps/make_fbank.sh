#!/usr/bin/env bash
# Fbank features (or, with --extract-cmd dump-upstream, an upstream's hidden states) of one data dir
# in parallel jobs, merged into a dump dir, with global CMVN:
#     steps/make_fbank.sh [options] <data-dir> <dump-dir>
#     steps/make_fbank.sh --extract-cmd dump-upstream --fbank-opts "--upstream DIR" <data-dir> <dump-dir>
# <dump-dir> becomes a complete data dir: the data dir's files for the utterances that got
# features, feats.scp, utt2num_frames, fbank.yaml (upstream.yaml) and (with --cmvn true) cmvn.ark;
# the job logs go to <dump-dir>/log/. Needs jsertk on PATH (in a recipe: . ./path.sh).
set -euo pipefail

help_message="Usage: $0 [options] <data-dir> <dump-dir>
Splits <data-dir> into --nj parts, computes fbank features of each part as one job of
--cmd (jsertk <extract-cmd> --job JOB --nj N), merges them (jsertk merge-feats), computes
global CMVN statistics (jsertk compute-cmvn) and checks the result (jsertk feats-info)."

nj=4                                  # parallel jobs (at most one per utterance or speaker)
cmd="jsertk launch --backend local"   # job launcher in Kaldi's call form, e.g. the feats_cmd of cmd.sh
extract_cmd=compute-fbank             # the jsertk feature command: compute-fbank or dump-upstream
fbank_opts=                           # more options for it, e.g. "--skip-bad --resample" ("--upstream DIR")
split_by=utterance                    # what the jobs split: utterance (even parts) or speaker (Kaldi's split<N>)
cmvn=true                             # write global CMVN statistics <dump-dir>/cmvn.ark (true or false)
only_failed=false                     # rerun only jobs whose log does not record the same command succeeding
logdir=                               # job logs (empty: <dump-dir>/log)

# shellcheck source=SCRIPTDIR/../../../../tools/utils/parse_options.sh
. "$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../../../../tools/utils" && pwd)/parse_options.sh"

if [ $# -ne 2 ]; then
  echo "${help_message}" >&2
  exit 1
fi
data=$1
dump=$2
logdir=${logdir:-${dump}/log}

for f in utt2spk spk2utt wav.scp; do
  if [ ! -f "${data}/${f}" ]; then
    echo "make_fbank.sh: ${data}/${f} not found" >&2
    exit 1
  fi
done
case "${split_by}" in
  utterance) units=$(wc -l < "${data}/utt2spk") ;;
  speaker) units=$(wc -l < "${data}/spk2utt") ;;
  *) echo "make_fbank.sh: --split-by must be utterance or speaker, got '${split_by}'" >&2; exit 1 ;;
esac
if ! [[ "${nj}" =~ ^[1-9][0-9]*$ ]]; then
  echo "make_fbank.sh: --nj must be a positive integer, got '${nj}'" >&2
  exit 1
fi
[ "${nj}" -le "${units}" ] || nj=${units}

if [ "${nj}" -gt 1 ]; then
  jsertk data split "${data}" "${nj}" --by "${split_by}" > /dev/null
fi
launch_opts=
[ "${only_failed}" = true ] && launch_opts=--only-failed
case "${extract_cmd}" in compute-fbank|dump-upstream) ;; *)
  echo "make_fbank.sh: --extract-cmd must be compute-fbank or dump-upstream, got '${extract_cmd}'" >&2; exit 1 ;;
esac
name=${extract_cmd#*-}  # fbank or upstream: the log names
echo "make_fbank.sh: ${data} -> ${dump} in ${nj} jobs (logs: ${logdir}/${name}.*.log)" >&2
# shellcheck disable=SC2086  # cmd and fbank_opts are lists of words
${cmd} ${launch_opts} JOB=1:"${nj}" "${logdir}/${name}.JOB.log" \
  jsertk "${extract_cmd}" "${data}" "${dump}" --job JOB --nj "${nj}" --split-by "${split_by}" ${fbank_opts}
jsertk merge-feats "${data}" "${dump}" --nj "${nj}" --split-by "${split_by}"
if [ "${cmvn}" = true ]; then
  jsertk compute-cmvn "${dump}" --no-progress
fi
jsertk feats-info "${dump}"
