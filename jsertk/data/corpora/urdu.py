"""URDU (Latif et al., 2018: natural Urdu speech from talk shows) as one data dir.

Layout read: `<root>/{Angry,Happy,Neutral,Sad}/S<G><X>_F<NN>_<E><YY>.wav` (400 files, 44.1 kHz
mono): `G` gender (M/F), speaker `S<G><X>`, `E` the emotion letter (A, H, N, S; it must agree
with the folder). Written: wav.scp, utt2spk, spk2utt, utt2emo (angry, happy, neutral, sad),
spk2gender and spk2fold: 5 speaker-disjoint groups of about equal size (26 of the 29 speakers
speak in one emotion only, so a split that shares speakers measures speaker recognition). No
transcripts. The audio stays at 44.1 kHz: `jsertk compute-fbank --resample` converts it (without
it, compute-fbank refuses the rate).

    jsertk prepare urdu --corpus-root /data/URDU --out data/urdu
"""
from __future__ import annotations

import re
from pathlib import Path

from jsertk.data.classes import load_class_map
from jsertk.data.datadir import DataDir, write_data_dir
from jsertk.data.folds import speaker_groups
from jsertk.utils.errors import InputError

FOLDERS = {"Angry": "A", "Happy": "H", "Neutral": "N", "Sad": "S"}
EMOTIONS = {"A": "angry", "H": "happy", "N": "neutral", "S": "sad"}
NAME = re.compile(r"(?P<spk>S(?P<gender>[MF])\d+)_F\d+_(?P<emo>[A-Z])\d+\.wav")
NUM_FOLDS = 5


def prepare_urdu(root: str | Path, out: str | Path, num_folds: int = NUM_FOLDS, class_map: str | Path | None = None,
                 keep_unmapped: bool = False) -> DataDir:
    """Write the URDU data dir `out` from the corpus at `root` (all of it or nothing). `class_map`:
    emotion letter -> class (default EMOTIONS); letters it drops leave their files out (or, with
    keep_unmapped, unlabelled)."""
    root, out = Path(root), Path(out)
    classes = load_class_map(class_map, EMOTIONS)
    missing = [f for f in FOLDERS if not (root / f).is_dir()]
    if missing:
        raise InputError(f"{root}: no {', '.join(missing)} folder; --corpus-root must hold "
                         f"{', '.join(FOLDERS)}/")
    wav, utt2spk, utt2emo, spk2gender = {}, {}, {}, {}
    for folder, letter in FOLDERS.items():
        for path in sorted(p for p in (root / folder).iterdir() if p.suffix.lower() == ".wav"):
            m = NAME.fullmatch(path.name)
            if m is None:
                raise InputError(f"{path}: not a URDU file name (S<G><X>_F<NN>_<E><YY>.wav)")
            if m["emo"] != letter:
                raise InputError(f"{path}: emotion letter '{m['emo']}' in a {folder} folder (expected {letter})")
            utt, spk = path.stem, m["spk"]
            if utt in wav:
                raise InputError(f"{path}: utterance '{utt}' also in {wav[utt]}")
            if classes.get(letter) is not None:
                utt2emo[utt] = classes[letter]
            elif not keep_unmapped:
                continue
            wav[utt], utt2spk[utt] = str(path.resolve()), spk
            spk2gender[spk] = m["gender"].lower()
    if not wav:
        raise InputError(f"{root}: no .wav files under {', '.join(FOLDERS)}/")
    folds = speaker_groups(utt2spk, num_folds)
    return write_data_dir(out, {"wav.scp": wav, "utt2spk": utt2spk, "utt2emo": utt2emo, "spk2gender": spk2gender,
                                "spk2fold": folds})
