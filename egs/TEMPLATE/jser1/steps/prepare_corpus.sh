#!/usr/bin/env bash
# Stage 0 of the cross-validated recipes: a corpus as distributed -> <datadir>/<corpus>, one data
# dir of the whole corpus with its labels (through the recipe's class map) and folds:
#     steps/prepare_corpus.sh --corpus emodb --corpus-root /data/emodb --datadir data
# A recipe's local/data.sh calls it with the corpus's name (and its own --prepare-opts defaults).
set -euo pipefail

help_message="Usage: $0 --corpus NAME --corpus-root DIR [--datadir data] [--class-map FILE] [--prepare-opts '...']"
corpus=                        # the corpus: a `jsertk prepare` command (emodb, urdu, ravdess, cremad, iemocap, meld)
corpus_root=                   # the corpus folder as its owners distribute it (required; see docs/corpora.md)
datadir=data                   # writes <datadir>/<corpus>
class_map=conf/class_map.yaml  # corpus label -> class (null drops a label)
prepare_opts=                  # more `jsertk prepare <corpus>` options, e.g. --skip-missing
# shellcheck disable=SC2034  # every stage script passes --nj; preparation reads names and label files only
nj=1                           # passed by every stage script; unused here

# shellcheck source=SCRIPTDIR/../../../../tools/utils/parse_options.sh
. "$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/../../../../tools/utils" && pwd)/parse_options.sh"
if [ $# -gt 0 ] || [ -z "${corpus}" ] || [ -z "${corpus_root}" ]; then
  echo "${help_message}" >&2
  echo "prepare_corpus.sh: --corpus and --corpus-root are required (jsertk prepare ${corpus:-CORPUS} --help)" >&2
  exit 1
fi
# shellcheck disable=SC2086  # prepare_opts is a list of words
jsertk prepare "${corpus}" --corpus-root "${corpus_root}" --out "${datadir}/${corpus}" --class-map "${class_map}" \
  ${prepare_opts}
