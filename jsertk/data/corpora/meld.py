"""MELD (Poria et al., 2019; dialogues of the TV series Friends) as one data dir.

Layout read (MELD.Raw unpacked): the label tables `train_sent_emo.csv`, `dev_sent_emo.csv`,
`test_sent_emo.csv` (columns Sr No., Utterance, Speaker, Emotion, Sentiment, Dialogue_ID,
Utterance_ID, Season, Episode, StartTime, EndTime) and the clips `dia{D}_utt{U}.mp4` in the
split folders `train_splits`, `dev_splits_complete`, `output_repeated_splits_test`, each found
anywhere under --corpus-root (the archives unpack them at different depths). The audio is taken
from the mp4 files by ffmpeg on read (wav.scp pipes: 16 kHz mono), so ffmpeg must be installed.
Written: wav.scp, utt2spk, spk2utt, utt2emo (neutral, joy, surprise, anger, sadness, disgust,
fear, or through --class-map), text, and utt2fold: the official train/dev/test split, which
shares speakers between its parts (the main characters speak in all three; `jsertk data folds
--allow-shared-speakers`). Speaker ids are the Speaker names with every character outside
[A-Za-z0-9] replaced by _; utterance ids `<speaker>-<split>_dia<D>_utt<U>`. The release lacks a
few clips its tables name (e.g. dev dia110_utt7): --skip-missing lists and leaves them out.

    jsertk prepare meld --corpus-root /data/MELD.Raw --out data/meld --skip-missing
"""
from __future__ import annotations

import csv
import io
import re
import shlex
from pathlib import Path

from jsertk.data.classes import load_class_map
from jsertk.data.corpora.common import ClassMapper, Prepared, Skips, decode_text, require_tool
from jsertk.data.datadir import write_data_dir
from jsertk.utils.errors import InputError

EMOTIONS = {e: e for e in ("neutral", "joy", "surprise", "anger", "sadness", "disgust", "fear")}
SPLITS = {"train": ("train_sent_emo.csv", "train_splits"), "dev": ("dev_sent_emo.csv", "dev_splits_complete"),
          "test": ("test_sent_emo.csv", "output_repeated_splits_test")}
COLUMNS = ("Utterance", "Speaker", "Emotion", "Dialogue_ID", "Utterance_ID")


def _find(root: Path, name: str, want_dir: bool) -> Path | None:
    direct = root / name
    if direct.is_dir() if want_dir else direct.is_file():
        return direct
    for path in sorted(root.rglob(name)):
        if path.is_dir() if want_dir else path.is_file():
            return path
    return None


def ffmpeg_pipe(path: Path) -> str:
    return f"ffmpeg -nostdin -loglevel error -i {shlex.quote(str(path))} -ac 1 -ar 16000 -f wav - |"


def prepare_meld(root: str | Path, out: str | Path, class_map: str | Path | None = None,
                 keep_unmapped: bool = False, skip_missing: bool = False, check_ffmpeg: bool = True) -> Prepared:
    root, out = Path(root), Path(out)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder; --corpus-root must be the unpacked MELD.Raw folder")
    if check_ffmpeg:
        require_tool("ffmpeg", "MELD's audio is read from its mp4 clips")
    to_class = ClassMapper(load_class_map(class_map, EMOTIONS), keep_unmapped)
    skips = Skips(skip_missing)
    wav, utt2spk, utt2emo, text, utt2fold = {}, {}, {}, {}, {}
    found = {}
    for split, (table_name, clips_name) in SPLITS.items():  # the whole layout first
        table, clips = _find(root, table_name, False), _find(root, clips_name, True)
        if table is None or clips is None:
            raise InputError(f"{root}: no {table_name if table is None else clips_name + '/'} under it; "
                             "--corpus-root must be the unpacked MELD.Raw folder (train.tar.gz, dev.tar.gz and "
                             "test.tar.gz unpacked too)")
        found[split] = table, clips
    for split, (table, clips) in found.items():
        rows = list(csv.DictReader(io.StringIO(decode_text(table.read_bytes()))))
        missing = [c for c in COLUMNS if rows and c not in rows[0]]
        if not rows or missing:
            raise InputError(f"{table}: no column {', '.join(missing or COLUMNS)}")
        for line, row in enumerate(rows, 2):  # line 1 is the header (multi-line quoted cells are rare)
            emo = (row["Emotion"] or "").strip().lower()
            if emo not in EMOTIONS:
                raise InputError(f"{table}: row {line - 1}: unknown emotion '{row['Emotion']}' "
                                 f"(MELD has {', '.join(EMOTIONS)})")
            d, u = row["Dialogue_ID"].strip(), row["Utterance_ID"].strip()
            if not (d.isdigit() and u.isdigit()):
                raise InputError(f"{table}: row {line - 1}: Dialogue_ID '{d}' / Utterance_ID '{u}' are not numbers")
            keep, cls = to_class(emo)
            if not keep:
                continue
            clip = clips / f"dia{d}_utt{u}.mp4"
            if not clip.is_file():
                skips(f"{table}: row {line - 1}: clip not found: {clip}")
                continue
            spk = re.sub(r"[^A-Za-z0-9]", "_", (row["Speaker"] or "").strip()) or "unknown"
            utt = f"{spk}-{split}_dia{d}_utt{u}"
            if utt in wav:
                raise InputError(f"{table}: row {line - 1}: dia{d}_utt{u} appears twice")
            wav[utt], utt2spk[utt], utt2fold[utt] = ffmpeg_pipe(clip.resolve()), spk, split
            if cls is not None:
                utt2emo[utt] = cls
            words = " ".join((row["Utterance"] or "").split())
            if words:
                text[utt] = words
    data = write_data_dir(out, {"wav.scp": wav, "utt2spk": utt2spk, "utt2emo": utt2emo, "text": text,
                                "utt2fold": utt2fold})
    return Prepared(data, skips.items, to_class.dropped)
