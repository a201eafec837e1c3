#!/usr/bin/env bash
# manifest: bring your own corpus. A manifest is a table with a row per utterance (audio path,
# emotion, speaker; optional gender, text, arousal/valence/dominance, start/end, language, split
# or fold); docs/corpora.md walks through it. Folds: the manifest's fold or split column, else
# (--fold-scheme auto) leave one speaker out up to 12 speakers, 5 speaker groups above.
#
#   ./run.sh --manifest /data/mycorpus/meta.csv                      # every stage, every fold
#   ./run.sh --manifest meta.tsv --manifest-opts "--column path=wav --column emotion=label"
#   ./run.sh --manifest meta.csv --corpus mycorpus --model joint     # with transcripts: the joint model
#   ./run.sh --help                                                  # every option of jser_folds.sh
#
# --manifest, --manifest-opts and --corpus are read here; every other option goes to jser_folds.sh.
set -euo pipefail

manifest=              # the manifest file (required for stage 0)
manifest_opts=         # more jsertk prepare manifest options (e.g. --column KEY=HEADER, --skip-missing)
corpus=manifest        # the data dir name: data/<corpus>, dump/fbank/<corpus>
model=acoustic         # acoustic (no transcripts needed) or joint (needs a text column)
fold_scheme=auto       # the manifest's folds, else leave-one-speaker-out (<= 12 speakers) or 5 groups
fbank_opts="--resample --skip-bad"  # any sample rate; unreadable files are left out and named

args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --manifest) manifest=$2; shift 2 ;;
    --manifest-opts) manifest_opts=$2; shift 2 ;;
    --corpus) corpus=$2; shift 2 ;;
    --model) model=$2; shift 2 ;;
    *) args+=("$1"); shift ;;
  esac
done
ser_config=  # empty: jser_folds.sh's choice (conf/train_ser.yaml, with --upstream conf/train_ser_upstream.yaml)
[ "${model}" = joint ] && ser_config=conf/train_ser_joint.yaml
manifest_abs=
[ -z "${manifest}" ] || manifest_abs=$(realpath -m "${manifest}")  # before the cd: relative to where run.sh is called
cd "$(dirname "${BASH_SOURCE[0]}")"
# each value quoted for the eval of jser_folds.sh's stage 0 (local/data.sh then evals --manifest-opts
# itself, so quotes inside it group words as on a command line)
printf -v data_opts -- '--manifest %q --corpus %q --manifest-opts %q' "${manifest_abs}" "${corpus}" "${manifest_opts}"

./jser_folds.sh \
    --corpus "${corpus}" \
    --model "${model}" \
    --ser-config "${ser_config}" \
    --fold-scheme "${fold_scheme}" \
    --fbank-opts "${fbank_opts}" \
    --local-data-opts "${data_opts}" \
    "${args[@]}"
