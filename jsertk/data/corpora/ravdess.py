"""RAVDESS speech, audio only (Livingstone & Russo, 2018) as one data dir.

Layout read: `<root>/Actor_XX/MM-VV-EE-II-SS-RR-AA.wav` (1,440 files, 24 actors, 48 kHz; a few
stereo, downmixed on read): MM modality (03 audio-only), VV channel (01 speech), EE emotion,
II intensity, SS statement, RR repetition, AA actor (odd male, even female; it must agree with
the folder). Written: wav.scp, utt2spk, spk2utt, utt2emo (neutral, calm, happy, sad, angry,
fearful, disgust, surprised, or through --class-map), text (the two statements), spk2gender and
spk2fold: 6 folds of 4 consecutive actors (as EmoBox). Speaker ids `actorXX`, utterance ids
`actorXX_<file stem>`. The audio is 48 kHz: `jsertk compute-fbank --resample`.

    jsertk prepare ravdess --corpus-root /data/RAVDESS --out data/ravdess
"""
from __future__ import annotations

import re
from pathlib import Path

from jsertk.data.classes import load_class_map
from jsertk.data.corpora.common import ClassMapper, Prepared, Skips, expect_dirs
from jsertk.data.datadir import write_data_dir
from jsertk.utils.errors import InputError

EMOTIONS = {"01": "neutral", "02": "calm", "03": "happy", "04": "sad", "05": "angry", "06": "fearful",
            "07": "disgust", "08": "surprised"}
STATEMENTS = {"01": "Kids are talking by the door", "02": "Dogs are sitting by the door"}
NAME = re.compile(r"(?P<mod>\d\d)-(?P<chan>\d\d)-(?P<emo>\d\d)-(?P<int>\d\d)-(?P<stmt>\d\d)-(?P<rep>\d\d)-"
                  r"(?P<actor>\d\d)\.wav")
ACTORS_PER_FOLD = 4


def prepare_ravdess(root: str | Path, out: str | Path, class_map: str | Path | None = None,
                    keep_unmapped: bool = False, skip_missing: bool = False) -> Prepared:
    root, out = Path(root), Path(out)
    actor_dirs = sorted(p for p in root.glob("Actor_*") if p.is_dir()) if root.is_dir() else []
    if not actor_dirs:
        expect_dirs(root, ["Actor_01"], "RAVDESS speech folder holding Actor_01 ... Actor_24 "
                    "(Audio_Speech_Actors_01-24.zip unpacked)")
    to_class = ClassMapper(load_class_map(class_map, EMOTIONS), keep_unmapped)
    skips = Skips(skip_missing)
    wav, utt2spk, utt2emo, text = {}, {}, {}, {}
    for folder in actor_dirs:
        m_dir = re.fullmatch(r"Actor_(\d\d)", folder.name)
        if m_dir is None:
            raise InputError(f"{folder}: not an actor folder (Actor_XX)")
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() != ".wav":
                continue
            m = NAME.fullmatch(path.name)
            if m is None:
                raise InputError(f"{path}: not a RAVDESS file name (MM-VV-EE-II-SS-RR-AA.wav)")
            if m["mod"] != "03" or m["chan"] != "01":
                raise InputError(f"{path}: modality {m['mod']}, channel {m['chan']}: not an audio-only speech file "
                                 "(03-01); --corpus-root must be the audio-only speech set")
            if m["actor"] != m_dir[1]:
                raise InputError(f"{path}: actor {m['actor']} in the folder of actor {m_dir[1]}")
            if m["emo"] not in EMOTIONS or m["stmt"] not in STATEMENTS:
                raise InputError(f"{path}: unknown emotion '{m['emo']}' or statement '{m['stmt']}'")
            if path.stat().st_size == 0:
                skips(f"{path}: empty file")
                continue
            spk = f"actor{m['actor']}"
            utt = f"{spk}_{path.stem}"
            keep, cls = to_class(m["emo"])
            if not keep:
                continue
            if cls is not None:
                utt2emo[utt] = cls
            wav[utt], utt2spk[utt], text[utt] = str(path.resolve()), spk, STATEMENTS[m["stmt"]]
    if not wav:
        raise InputError(f"{root}: no RAVDESS .wav files under Actor_*/")
    speakers = sorted(set(utt2spk.values()))
    gender = {s: "m" if int(s[5:]) % 2 else "f" for s in speakers}
    folds = {s: (int(s[5:]) - 1) // ACTORS_PER_FOLD + 1 for s in speakers}
    data = write_data_dir(out, {"wav.scp": wav, "utt2spk": utt2spk, "utt2emo": utt2emo, "text": text,
                                "spk2gender": gender, "spk2fold": folds})
    return Prepared(data, skips.items, to_class.dropped)
