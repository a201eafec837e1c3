#!/usr/bin/env bash
# Make a new jser1 recipe directory for a corpus, as ESPnet's egs2/TEMPLATE/asr1/setup.sh does:
#     egs/TEMPLATE/jser1/setup.sh egs/<corpus>/jser1
# The new directory gets the links every recipe has (jser.sh, cmd.sh, path.sh and steps to this
# template, utils to tools/utils), a copy of the template's conf/ (starting configs to tune), and
# run.sh and local/data.sh skeletons to fill in. An existing directory is never touched.
set -euo pipefail

usage() {
  cat <<EOF
Usage: $0 egs/<corpus>/jser1
Makes the recipe directory egs/<corpus>/jser1 (it must not exist yet; it must lie two levels
below the repository's egs/, where path.sh finds the repository from) with:
  jser.sh cmd.sh path.sh steps -> ../../TEMPLATE/jser1/...   utils -> ../../../tools/utils
  conf/          a copy of egs/TEMPLATE/jser1/conf (train_asr.yaml, train_jser.yaml, train_jser_ssl.yaml)
  run.sh         the corpus's set names and options, then ./jser.sh ... "\$@" (edit the set names)
  local/data.sh  stage 0: writes one Kaldi data dir per set (fill it in)
Then: cd egs/<corpus>/jser1 && ./run.sh --help
EOF
}
case "${1:-}" in --help|-h) usage; exit 0 ;; esac
if [ $# -ne 1 ]; then
  usage >&2
  exit 1
fi

template=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
egs=$(dirname "$(dirname "${template}")")
target=$1
if [ -e "${target}" ] || [ -L "${target}" ]; then
  echo "setup.sh: ${target} already exists; refusing to overwrite it (remove it or choose another name)" >&2
  exit 1
fi
target_abs=$(realpath -m "${target}")
if [ "$(dirname "$(dirname "${target_abs}")")" != "${egs}" ]; then
  echo "setup.sh: ${target} must be ${egs}/<corpus>/<recipe> (e.g. egs/mycorpus/jser1): the recipe's links" \
    "and path.sh reach the repository from there" >&2
  exit 1
fi
corpus=$(basename "$(dirname "${target_abs}")")
recipe=$(basename "${target_abs}")

# Built in a temporary sibling, moved into place when complete: a failure leaves nothing behind.
mkdir -p "$(dirname "${target_abs}")"
tmp=$(mktemp -d "${target_abs}.tmp.XXXXXX")
trap 'rm -rf "${tmp}"' EXIT
chmod "$(umask -S)" "${tmp}"  # mktemp makes it private

for f in jser.sh cmd.sh path.sh steps; do
  ln -s "../../TEMPLATE/jser1/${f}" "${tmp}/${f}"
done
ln -s ../../../tools/utils "${tmp}/utils"
cp -r "${template}/conf" "${tmp}/conf"
mkdir -p "${tmp}/local"

cat > "${tmp}/run.sh" <<EOF
#!/usr/bin/env bash
# ${corpus}: joint ASR and speech emotion recognition (made by egs/TEMPLATE/jser1/setup.sh).
#
#   ./run.sh                                  # every stage
#   ./run.sh --stage 3 --stop-stage 5 --ngpu 1
#   ./run.sh --help                           # every option, with its value here
#
# Options given here are the recipe's; any option on the command line overrides them.
# The stages and every option: docs/recipes.md and ./run.sh --help.
set -euo pipefail
cd "\$(dirname "\${BASH_SOURCE[0]}")"

# The sets local/data.sh writes (data/<set>/, Kaldi data dirs). TODO: name yours.
train_set=train                 # emotion-labelled training set (utt2emo; text for the ASR and lexical branches)
unlab_set=                      # unlabelled speech for stage 5's pseudo-labelling (empty: none; then --ssl-rounds 0)
asr_train_set=                  # transcribed speech without emotion labels for ASR pretraining (empty: none)
dev_set=dev                     # all labels; model selection (held-out speakers)
test_sets="test"                # sets to score, space separated (held-out speakers)
ssl_rounds=0                    # semi-supervised rounds (stage 5); needs unlab_set
token_type=bpe                  # bpe, unigram or char (char for small corpora)
nbpe=150                        # bpe/unigram vocabulary size; TODO: tune (larger with more text)
asr_decode_opts="--method joint --beam-size 10 --ctc-weight 0.3"  # stage 6 ASR decoding; tune on dev

./jser.sh \\
    --train-set "\${train_set}" \\
    --unlab-set "\${unlab_set}" \\
    --asr-train-set "\${asr_train_set}" \\
    --dev-set "\${dev_set}" \\
    --test-sets "\${test_sets}" \\
    --ssl-rounds "\${ssl_rounds}" \\
    --token-type "\${token_type}" \\
    --nbpe "\${nbpe}" \\
    --asr-decode-opts "\${asr_decode_opts}" \\
    "\$@"
EOF

cat > "${tmp}/local/data.sh" <<EOF
#!/usr/bin/env bash
# Stage 0 of ${corpus}: write one Kaldi data dir per set into --datadir (data/<set>/), as
# docs/data-format.md describes: wav.scp, utt2spk (utterance ids prefixed by the speaker id),
# spk2utt, text (transcripts), and the label files the sets have: utt2emo (one class name),
# utt2dim (arousal valence dominance), spk2gender; segments when the recordings hold several
# utterances. Every file sorted with LC_ALL=C. jser.sh passes --nj and --datadir, then runs
# \`jsertk data validate\` on every set run.sh names. Keep dev and test speakers out of training.
set -euo pipefail

help_message="Usage: local/data.sh [options]"
nj=4                 # parallel jobs (jser.sh passes its --nj)
datadir=data         # where the data dirs go: <datadir>/<set> (jser.sh passes its --datadir)
corpus_root=         # TODO: where the corpus lies (or run.sh --local-data-opts "--corpus-root DIR")

# shellcheck source=SCRIPTDIR/../utils/parse_options.sh
. utils/parse_options.sh
if [ \$# -gt 0 ]; then
  echo "local/data.sh: unexpected argument '\$1' (see local/data.sh --help)" >&2
  exit 1
fi
# shellcheck source=SCRIPTDIR/../path.sh
. ./path.sh

if [ -z "\${corpus_root}" ] || [ ! -d "\${corpus_root}" ]; then
  echo "local/data.sh: --corpus-root '\${corpus_root}' is not a directory" >&2
  exit 1
fi

# TODO: write \${datadir}/<set>/ for every set of run.sh from \${corpus_root} (in \${nj} jobs if slow),
# for example with a small Python script here (local/prepare.py), then let jsertk sort the files
# and derive spk2utt:
#   python3 local/prepare.py "\${corpus_root}" "\${datadir}"
#   for set in train dev test; do jsertk data fix "\${datadir}/\${set}"; done
echo "local/data.sh: not written yet: edit \$(pwd)/local/data.sh to write \${datadir}/<set> from" \\
  "\${corpus_root} (in up to \${nj} jobs)" >&2
exit 1
EOF
chmod +x "${tmp}/run.sh" "${tmp}/local/data.sh"

mv -T "${tmp}" "${target_abs}"
trap - EXIT
echo "setup.sh: made ${target} (${corpus}/${recipe}): edit run.sh and local/data.sh, tune conf/; then" \
  "cd ${target} && ./run.sh --help" >&2
