#!/usr/bin/env bash
# Build tools/venv from nothing: pinned CPU-or-CUDA torch first, espnet with --no-deps,
# everything else under a constraints file that holds torch, then jsertk itself (editable).
#
# Usage: tools/install.sh                      # defaults below
#        TORCH_VERSION=2.13.0 PYTHON=python3.11 tools/install.sh
#        tools/install.sh --force              # rebuild even when up to date
# Re-running it when nothing changed returns in about a second (stamp file check).
set -euo pipefail

TORCH_VERSION=${TORCH_VERSION:-2.13.0}   # torch release; 2.13.0 has a local CPU wheel here
ESPNET_VERSION=${ESPNET_VERSION:-202511} # espnet release, installed with --no-deps
PYTHON=${PYTHON:-python3}                # interpreter the venv is built from
force=false
[ "${1:-}" = "--force" ] && force=true

tools_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$tools_dir")
venv=$tools_dir/venv
stamp=$venv/.jsertk-install-stamp

if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "install.sh: '$PYTHON' not found; set PYTHON=/path/to/python3.10+" >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)'; then
  echo "install.sh: jsertk needs Python >= 3.10; '$PYTHON' is $("$PYTHON" -V 2>&1)." \
       "Set PYTHON=/path/to/python3.10+ and rerun." >&2
  exit 1
fi

# The stamp records everything that decides the environment's content.
want="torch=$TORCH_VERSION espnet=$ESPNET_VERSION python=$("$PYTHON" -V 2>&1) \
reqs=$(cksum < "$tools_dir/requirements.txt" | cut -d' ' -f1) \
setup=$(cksum < "$root/setup.py" | cut -d' ' -f1)"
if ! $force && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] \
   && "$venv/bin/python" -c 'import jsertk' >/dev/null 2>&1; then
  echo "install.sh: tools/venv is up to date ($TORCH_VERSION, espnet $ESPNET_VERSION)."
  exit 0
fi

[ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
pip=("$venv/bin/python" -m pip --disable-pip-version-check)
export PIP_PROGRESS_BAR=off

echo "install.sh: torch==$TORCH_VERSION"
"${pip[@]}" install -q "torch==$TORCH_VERSION"

constraints=$venv/constraints.txt
echo "torch==$TORCH_VERSION" > "$constraints"

echo "install.sh: requirements (torch held by $constraints)"
"${pip[@]}" install -q -c "$constraints" -r "$tools_dir/requirements.txt"

# espnet's metadata pins setuptools<74, which clashes with torch's setuptools>=77, so it cannot be
# an install_requires entry of setup.py; its ASR building blocks need only the packages listed in
# requirements.txt (and in setup.py's install_requires).
echo "install.sh: espnet==$ESPNET_VERSION (--no-deps)"
"${pip[@]}" install -q --no-deps "espnet==$ESPNET_VERSION"

echo "install.sh: jsertk (editable, with the test tools and the baselines' openSMILE and scikit-learn, transformers for upstreams)"
"${pip[@]}" install -q -c "$constraints" --no-build-isolation -e "${root}[dev,baselines,upstream]"

"$venv/bin/python" - <<'PY'
import importlib
for m in ["torch", "espnet2.asr.encoder.conformer_encoder", "espnet2.asr.decoder.transformer_decoder",
          "espnet2.asr.ctc", "espnet.nets.beam_search", "kaldiio", "kaldi_native_fbank",
          "sentencepiece", "jiwer", "rapidfuzz.distance", "soundfile", "opensmile", "sklearn.svm", "transformers", "safetensors", "jsertk"]:
    importlib.import_module(m)
print("install.sh: imports ok")
PY
echo "$want" > "$stamp"
echo "install.sh: done; activate with: . tools/venv/bin/activate"
