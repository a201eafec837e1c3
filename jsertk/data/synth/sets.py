"""Write the planned corpus as Kaldi data directories, one per set.

Labels per set: train_labeled, dev, test: text, utt2emo, utt2dim, spk2gender;
asr_train: text, spk2gender; train_unlabeled: audio only, its true labels in the hidden
`train_unlabeled/.ref/` (text, utt2emo, utt2dim, spk2gender) for scoring pseudo labels -
a place no label reader looks, and which subset/split/combine never copy.
"""
from __future__ import annotations

from pathlib import Path

from jsertk.data.datadir import spk2utt_from_utt2spk
from jsertk.data.synth.audio import SAMPLE_RATE
from jsertk.data.synth.plan import SETS, Utterance
from jsertk.data.synth.voices import Speaker
from jsertk.data.table import write_table
from jsertk.utils.atomic import atomic_dir

REF_DIR = ".ref"
LABELS = {
    "train_labeled": ("text", "utt2emo", "utt2dim", "spk2gender"),
    "train_unlabeled": (),
    "asr_train": ("text", "spk2gender"),
    "dev": ("text", "utt2emo", "utt2dim", "spk2gender"),
    "test": ("text", "utt2emo", "utt2dim", "spk2gender"),
}
HIDDEN = {"train_unlabeled": ("text", "utt2emo", "utt2dim", "spk2gender")}


def _label_tables(utts: list[Utterance], speakers: dict[str, Speaker]) -> dict[str, dict[str, object]]:
    return {
        "text": {u.utt: u.text for u in utts},
        "utt2emo": {u.utt: u.emotion for u in utts},
        "utt2dim": {u.utt: " ".join(f"{x:.2f}" for x in u.dims) for u in utts},
        "spk2gender": {u.spk: speakers[u.spk].gender for u in utts},
    }


def write_sets(utts: list[Utterance], speakers: list[Speaker], num_samples: dict[str, int], corpus_dir: Path,
               data_dir: Path) -> list[Path]:
    """One data dir per set under `data_dir` (each replaced whole); wav.scp holds absolute paths."""
    by_id = {s.id: s for s in speakers}
    written = []
    for set_name in SETS:
        members = [u for u in utts if u.set == set_name]
        tables = _label_tables(members, by_id)
        with atomic_dir(data_dir / set_name) as tmp:
            write_table(tmp / "wav.scp", {u.utt: str((corpus_dir / u.wav_relpath()).resolve()) for u in members})
            utt2spk = {u.utt: u.spk for u in members}
            write_table(tmp / "utt2spk", utt2spk)
            write_table(tmp / "spk2utt", {s: " ".join(us) for s, us in spk2utt_from_utt2spk(utt2spk).items()})
            write_table(tmp / "utt2dur", {u.utt: f"{num_samples[u.utt] / SAMPLE_RATE:.3f}" for u in members})
            for name in LABELS[set_name]:
                write_table(tmp / name, tables[name])
            for name in HIDDEN.get(set_name, ()):
                write_table(tmp / REF_DIR / name, tables[name])
        written.append(data_dir / set_name)
    return written
