"""LibriSpeech (Panayotov et al., 2015) subsets as data dirs: ASR pretraining, unlabelled speech,
speaker and gender auxiliary data.

Layout read: `<root>/<subset>/<spk>/<chapter>/<spk>-<chapter>-<utt>.flac` with
`<spk>-<chapter>.trans.txt` (`<utt-id> UPPER CASE TRANSCRIPT`) and `<root>/SPEAKERS.TXT`
(`;` comments, then `ID | SEX | SUBSET | MINUTES | NAME`). Written per subset: `<out>/<subset with
_ for ->` (train-clean-100 -> train_clean_100) holding wav.scp (the flac files, read directly),
utt2spk, spk2utt, text and spk2gender. No emotion labels.

    jsertk prepare librispeech --corpus-root /data/LibriSpeech --subsets "train-clean-100 dev-clean" --out data
"""
from __future__ import annotations

import re
from pathlib import Path

from jsertk.data.corpora.common import Prepared, Skips, decode_text, expect_dirs
from jsertk.data.datadir import write_data_dir
from jsertk.utils.errors import InputError

UTT = re.compile(r"(?P<spk>\d+)-(?P<chapter>\d+)-\d+")


def read_speakers(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise InputError(f"{path}: not found (LibriSpeech's speaker table, for the genders)")
    out = {}
    for line_no, line in enumerate(decode_text(path.read_bytes()).splitlines(), 1):
        if not line.strip() or line.lstrip().startswith(";"):
            continue
        fields = [f.strip() for f in line.split("|")]
        if len(fields) < 3 or not fields[0].isdigit() or fields[1] not in ("M", "F"):
            raise InputError(f"{path}:{line_no}: not 'ID | SEX | SUBSET | MINUTES | NAME'")
        out[fields[0]] = fields[1].lower()
    return out


def prepare_librispeech(root: str | Path, out: str | Path, subsets: list[str], skip_missing: bool = False
                        ) -> list[Prepared]:
    root, out = Path(root), Path(out)
    if not subsets:
        raise InputError("no --subsets given (e.g. train-clean-100 dev-clean)")
    expect_dirs(root, subsets, "LibriSpeech folder holding the subsets (train-clean-100/, dev-clean/, ...)")
    genders = read_speakers(root / "SPEAKERS.TXT")
    results = []
    for subset in subsets:
        skips = Skips(skip_missing)
        wav, utt2spk, text = {}, {}, {}
        for trans in sorted((root / subset).glob("*/*/*.trans.txt")):
            for line_no, line in enumerate(decode_text(trans.read_bytes()).splitlines(), 1):
                if not line.strip():
                    continue
                utt, _, words = line.partition(" ")
                m = UTT.fullmatch(utt)
                if m is None or not words.strip():
                    raise InputError(f"{trans}:{line_no}: not '<spk>-<chapter>-<utt> TRANSCRIPT'")
                audio = trans.parent / f"{utt}.flac"
                if not audio.is_file():
                    skips(f"{trans}:{line_no}: audio not found: {audio}")
                    continue
                wav[utt], utt2spk[utt], text[utt] = str(audio.resolve()), m["spk"], " ".join(words.split())
        if not wav:
            raise InputError(f"{root / subset}: no <spk>/<chapter>/*.trans.txt with audio")
        speakers = sorted(set(utt2spk.values()))
        unknown = [s for s in speakers if s not in genders]
        if unknown:
            raise InputError(f"{root / 'SPEAKERS.TXT'}: no line for speaker {unknown[0]}")
        data = write_data_dir(out / subset.replace("-", "_"), {
            "wav.scp": wav, "utt2spk": utt2spk, "text": text, "spk2gender": {s: genders[s] for s in speakers}})
        results.append(Prepared(data, skips.items))
    return results
