"""jsertk: joint speech recognition and speech emotion recognition with semi-supervised learning."""
import re
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = re.search(r'__version__ = "([^"]+)"', (here / "jsertk" / "__init__.py").read_text()).group(1)

setup(
    name="jsertk",
    version=version,
    description="Joint ASR and speech emotion recognition toolkit with semi-supervised learning",
    long_description=(here / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    packages=find_packages(include=["jsertk", "jsertk.*"]),
    # torch and espnet are installed by tools/install.sh (pinned torch; espnet with --no-deps);
    # the rest is listed here so `pip install -e .` alone also gives a working CLI.
    install_requires=[
        "numpy>=1.24",
        "pyyaml>=6.0",
        "typer>=0.12",
        "kaldiio>=2.18",
        "soundfile>=0.12",
    ],
    extras_require={"dev": ["pytest>=7.4"]},
    entry_points={"console_scripts": ["jsertk=jsertk.cli.main:main"]},
)
