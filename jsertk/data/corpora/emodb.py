"""EmoDB (Berlin Database of Emotional Speech; Burkhardt et al., Interspeech 2005) as one data dir.

Layout read: `<root>/wav/SSTTTEV.wav` (535 files, 16 kHz mono): `SS` speaker, `TTT` text code,
`E` emotion letter (German initial), `V` version letter. Written: wav.scp, utt2spk, spk2utt,
utt2emo (anger, boredom, disgust, fear, happiness, sadness, neutral), text (the ten German
sentences), spk2gender and spk2fold (leave-one-speaker-out: 10 folds, the corpus's standard
protocol). Utterance ids are the file names without `.wav` (they start with the speaker id).

    jsertk prepare emodb --corpus-root /data/emodb --out data/emodb
"""
from __future__ import annotations

import re
from pathlib import Path

from jsertk.data.classes import load_class_map
from jsertk.data.datadir import DataDir, write_data_dir
from jsertk.data.folds import leave_one_speaker_out
from jsertk.utils.errors import InputError

EMOTIONS = {"W": "anger", "L": "boredom", "E": "disgust", "A": "fear", "F": "happiness", "T": "sadness",
            "N": "neutral"}
GENDERS = {"03": "m", "08": "f", "09": "f", "10": "m", "11": "m", "12": "m", "13": "f", "14": "f", "15": "m",
           "16": "f"}
SENTENCES = {
    "a01": "Der Lappen liegt auf dem Eisschrank.",
    "a02": "Das will sie am Mittwoch abgeben.",
    "a04": "Heute abend könnte ich es ihm sagen.",
    "a05": "Das schwarze Stück Papier befindet sich da oben neben dem Holzstück.",
    "a07": "In sieben Stunden wird es soweit sein.",
    "b01": "Was sind denn das für Tüten, die da unter dem Tisch stehen?",
    "b02": "Sie haben es gerade hochgetragen und jetzt gehen sie wieder runter.",
    "b03": "An den Wochenenden bin ich jetzt immer nach Hause gefahren und habe Agnes besucht.",
    "b09": "Ich will das eben wegbringen und dann mit Karl was trinken gehen.",
    "b10": "Die wird auf dem Platz sein, wo wir sie immer hinlegen.",
}
NAME = re.compile(r"(?P<spk>\d\d)(?P<text>[ab]\d\d)(?P<emo>[A-Z])(?P<version>[a-z])\.wav")


def prepare_emodb(root: str | Path, out: str | Path, class_map: str | Path | None = None,
                  keep_unmapped: bool = False) -> DataDir:
    """Write the EmoDB data dir `out` from the corpus at `root` (all of it or nothing). `class_map`:
    emotion letter -> class (default EMOTIONS); letters it drops leave their files out (or, with
    keep_unmapped, unlabelled)."""
    root, out = Path(root), Path(out)
    classes = load_class_map(class_map, EMOTIONS)
    wav_dir = root / "wav"
    if not wav_dir.is_dir():
        raise InputError(f"{wav_dir}: not found; --corpus-root must be the EmoDB folder holding wav/")
    files = sorted(p for p in wav_dir.iterdir() if p.suffix.lower() == ".wav")
    if not files:
        raise InputError(f"{wav_dir}: no .wav files")
    wav, utt2spk, utt2emo, text = {}, {}, {}, {}
    for path in files:
        m = NAME.fullmatch(path.name)
        if m is None:
            raise InputError(f"{path}: not an EmoDB file name (SSTTTEV.wav: speaker, text code, emotion, version)")
        spk, code, emo = m["spk"], m["text"], m["emo"]
        for value, table, what in ((spk, GENDERS, "speaker"), (emo, EMOTIONS, "emotion letter"),
                                   (code, SENTENCES, "text code")):
            if value not in table:
                raise InputError(f"{path}: unknown {what} '{value}' (EmoDB has {', '.join(sorted(table))})")
        utt = path.stem
        if classes.get(emo) is not None:
            utt2emo[utt] = classes[emo]
        elif not keep_unmapped:
            continue
        wav[utt], utt2spk[utt], text[utt] = str(path.resolve()), spk, SENTENCES[code]
    speakers = sorted(set(utt2spk.values()))
    return write_data_dir(out, {"wav.scp": wav, "utt2spk": utt2spk, "utt2emo": utt2emo, "text": text,
                                "spk2gender": {s: GENDERS[s] for s in speakers},
                                "spk2fold": leave_one_speaker_out(utt2spk)})
