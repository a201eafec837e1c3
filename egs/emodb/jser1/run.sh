#!/usr/bin/env bash
# emodb: speech emotion recognition on EmoDB (Berlin Database of Emotional Speech; Burkhardt et al.,
# Interspeech 2005): 7 emotions, 10 speakers, leave-one-speaker-out cross-validation (10 folds;
# each fold's dev speaker is the next fold's test speaker). Acoustic-only model: all speakers read
# the same ten sentences, so the words carry no emotion and there is nothing for a lexical view.
#
#   ./run.sh --corpus-root /data/emodb            # every stage, every fold; results in
#                                                 # exp/ser_folds/RESULTS.md
#   ./run.sh --corpus-root /data/emodb --folds "1 3"  # two folds only
#   ./run.sh --stage 6                            # rescore what has been run
#   ./run.sh --help                               # every option, with its value here
#
# Options given here are the recipe's; any option on the command line overrides them.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

corpus=emodb              # local/data.sh writes data/emodb
model=acoustic            # fixed sentences: acoustic only
fold_dev=next-fold        # dev speaker of fold k: the test speaker of fold k+1

./jser_folds.sh \
    --corpus "${corpus}" \
    --model "${model}" \
    --fold-dev "${fold_dev}" \
    "$@"
