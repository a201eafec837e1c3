"""CREMA-D (Cao et al., 2014) as one data dir.

Layout read: `<root>/AudioWAV/AAAA_SSS_EEE_II.wav` (7,442 clips, 91 actors 1001-1091, 16 kHz):
actor, sentence code, emotion (ANG DIS FEA HAP NEU SAD), intensity (LO MD HI XX); and
`<root>/VideoDemographics.csv` (ActorID, Age, Sex, Race, Ethnicity) for the genders. Written:
wav.scp, utt2spk, spk2utt, utt2emo (angry, disgust, fear, happy, neutral, sad, or through
--class-map), text (the twelve sentences), spk2gender and spk2fold: 5 speaker-disjoint groups of
about equal size (not EmoBox's CREMA-D split, which shares speakers between train and test).
Utterance ids are the file stems (they start with the actor id). One clip of the release,
1076_MTI_SAD_XX.wav, is known to be empty: it is listed as skipped with --skip-missing.

    jsertk prepare cremad --corpus-root /data/CREMA-D --out data/cremad
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from jsertk.data.classes import load_class_map
from jsertk.data.corpora.common import ClassMapper, Prepared, Skips, decode_text, expect_dirs
from jsertk.data.datadir import write_data_dir
from jsertk.data.folds import speaker_groups
from jsertk.utils.errors import InputError

EMOTIONS = {"ANG": "angry", "DIS": "disgust", "FEA": "fear", "HAP": "happy", "NEU": "neutral", "SAD": "sad"}
SENTENCES = {
    "IEO": "It's eleven o'clock", "TIE": "That is exactly what happened", "IOM": "I'm on my way to the meeting",
    "IWW": "I wonder what this is about", "TAI": "The airplane is almost full",
    "MTI": "Maybe tomorrow it will be cold", "IWL": "I would like a new alarm clock",
    "ITH": "I think I have a doctor's appointment", "DFA": "Don't forget a jacket",
    "ITS": "I think I've seen this before", "TSI": "The surface is slick", "WSI": "We'll stop in a couple of minutes",
}
INTENSITIES = ("LO", "MD", "HI", "XX")
NAME = re.compile(r"(?P<actor>\d{4})_(?P<sent>[A-Z]{3})_(?P<emo>[A-Z]{3})_(?P<int>[A-Z]{2})\.wav")
DEMOGRAPHICS = "VideoDemographics.csv"
NUM_FOLDS = 5


def read_genders(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise InputError(f"{path}: not found (CREMA-D's actor table with ActorID and Sex)")
    rows = list(csv.DictReader(io.StringIO(decode_text(path.read_bytes()))))
    if not rows or not {"ActorID", "Sex"} <= set(rows[0]):
        raise InputError(f"{path}: needs columns ActorID and Sex, has {', '.join(rows[0]) if rows else 'none'}")
    out = {}
    for line, row in enumerate(rows, 2):
        sex = (row["Sex"] or "").strip().lower()
        if sex not in ("male", "female"):
            raise InputError(f"{path}:{line}: Sex '{row['Sex']}' is not Male or Female")
        out[row["ActorID"].strip()] = sex[0]
    return out


def prepare_cremad(root: str | Path, out: str | Path, class_map: str | Path | None = None,
                   keep_unmapped: bool = False, skip_missing: bool = False, num_folds: int = NUM_FOLDS) -> Prepared:
    root, out = Path(root), Path(out)
    expect_dirs(root, ["AudioWAV"], "CREMA-D folder holding AudioWAV/ and VideoDemographics.csv")
    genders = read_genders(root / DEMOGRAPHICS)
    to_class = ClassMapper(load_class_map(class_map, EMOTIONS), keep_unmapped)
    skips = Skips(skip_missing)
    wav, utt2spk, utt2emo, text = {}, {}, {}, {}
    for path in sorted((root / "AudioWAV").iterdir()):
        if path.suffix.lower() != ".wav":
            continue
        m = NAME.fullmatch(path.name)
        if m is None:
            raise InputError(f"{path}: not a CREMA-D file name (AAAA_SSS_EEE_II.wav)")
        for value, table, what in ((m["sent"], SENTENCES, "sentence code"), (m["emo"], EMOTIONS, "emotion code"),
                                   (m["int"], INTENSITIES, "intensity")):
            if value not in table:
                raise InputError(f"{path}: unknown {what} '{value}' (CREMA-D has {', '.join(sorted(table))})")
        if m["actor"] not in genders:
            raise InputError(f"{path}: actor {m['actor']} is not in {root / DEMOGRAPHICS}")
        if path.stat().st_size <= 44:  # a header at most: no samples
            skips(f"{path}: no audio samples")
            continue
        keep, cls = to_class(m["emo"])
        if not keep:
            continue
        if cls is not None:
            utt2emo[path.stem] = cls
        wav[path.stem], utt2spk[path.stem], text[path.stem] = str(path.resolve()), m["actor"], SENTENCES[m["sent"]]
    if not wav:
        raise InputError(f"{root / 'AudioWAV'}: no CREMA-D .wav files")
    speakers = sorted(set(utt2spk.values()))
    data = write_data_dir(out, {"wav.scp": wav, "utt2spk": utt2spk, "utt2emo": utt2emo, "text": text,
                                "spk2gender": {s: genders[s] for s in speakers},
                                "spk2fold": speaker_groups(utt2spk, num_folds)})
    return Prepared(data, skips.items, to_class.dropped)
