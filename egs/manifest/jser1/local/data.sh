#!/usr/bin/env bash
# Stage 0 of manifest: any corpus from a manifest (a CSV, TSV or JSON-lines table, a row per
# utterance; docs/corpora.md) -> <datadir>/<corpus>, one data dir of the whole corpus:
#     local/data.sh --manifest /data/mycorpus/meta.csv --corpus mycorpus --datadir data \
#         --manifest-opts "--column path=file --column emotion=label"
set -euo pipefail

help_message="Usage: local/data.sh --manifest FILE [--corpus NAME] [--datadir data] [--manifest-opts '...']"
manifest=       # the manifest (required); audio paths in it are relative to its folder
# shellcheck disable=SC2034  # corpus and datadir are read inside the eval below
corpus=manifest # writes <datadir>/<corpus>
# shellcheck disable=SC2034  # read inside the eval below
datadir=data
# shellcheck disable=SC2034  # every stage script passes --nj; unused here
nj=1            # unused
manifest_opts=  # more jsertk prepare manifest options: --column KEY=HEADER, --class-map, --skip-missing, ...

. utils/parse_options.sh
if [ $# -gt 0 ] || [ -z "${manifest}" ]; then
  echo "${help_message}" >&2
  echo "local/data.sh: --manifest FILE is required (run.sh --manifest FILE)" >&2
  exit 1
fi
. ./path.sh
# eval, so that quoted values inside --manifest-opts stay one word
eval "jsertk prepare manifest \"\${manifest}\" --out \"\${datadir}/\${corpus}\" ${manifest_opts}"
