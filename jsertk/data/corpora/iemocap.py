"""IEMOCAP (Busso et al., 2008) as one data dir.

Layout read (IEMOCAP_full_release): `Session{1..5}/dialog/EmoEvaluation/<dialog>.txt` (a line per
utterance `[start - end]<TAB><utt><TAB><code><TAB>[valence, activation, dominance]`, then the
evaluators' lines), `Session{N}/dialog/transcriptions/<dialog>.txt` (`<utt> [start-end]: words`)
and `Session{N}/sentences/wav/<dialog>/<utt>.wav` (16 kHz). The speaker is the session and the
gender letter opening the utterance name's last field (Ses01F_impro01_M012: Ses01M), 10 in all.
Written: wav.scp, utt2spk, spk2utt, utt2emo through the class map (default: the standard four
classes, excited merged into happy: 5,531 utterances; CLASS_MAPS["6"]: the six classes
neutral, happy, sad, angry, excited, frustrated), utt2dim (arousal = activation, valence,
dominance, on the corpus's 1-5 scale), text (bracketed tags such as [LAUGHTER] removed),
spk2gender and spk2fold (leave one session out: the session number). Utterance ids are
`<speaker>-<utterance name>`, so that each starts with its speaker id.

    jsertk prepare iemocap --corpus-root /data/IEMOCAP_full_release --out data/iemocap
"""
from __future__ import annotations

import re
from pathlib import Path

from jsertk.data.classes import load_class_map
from jsertk.data.corpora.common import ClassMapper, Prepared, Skips, decode_text, expect_dirs
from jsertk.data.datadir import write_data_dir
from jsertk.utils.errors import InputError

CODES = ("neu", "hap", "exc", "sad", "ang", "fru", "fea", "sur", "dis", "oth", "xxx")
CLASS_MAPS = {
    "4": {"neu": "neutral", "hap": "happy", "exc": "happy", "sad": "sad", "ang": "angry"},
    "6": {"neu": "neutral", "hap": "happy", "exc": "excited", "sad": "sad", "ang": "angry", "fru": "frustrated"},
}
SESSIONS = [f"Session{k}" for k in range(1, 6)]
EVAL_LINE = re.compile(r"\[(?P<start>[\d.]+)\s*-\s*(?P<end>[\d.]+)\]\t(?P<utt>\S+)\t(?P<code>\S+)\t"
                       r"\[(?P<v>[\d.]+),\s*(?P<a>[\d.]+),\s*(?P<d>[\d.]+)\]\s*")
UTT_NAME = re.compile(r"(?P<session>Ses0[1-5])[FM]_\S+_(?P<gender>[FM])\d+")
TRANSCRIPT_LINE = re.compile(r"(?P<utt>Ses\S+)\s+\[[\d.]+-[\d.]+\]:\s*(?P<text>.*)")
TAG = re.compile(r"\[[^\]]*\]")


def _read_evaluations(path: Path) -> list[tuple[int, re.Match]]:
    out = []
    for line_no, line in enumerate(decode_text(path.read_bytes()).splitlines(), 1):
        if not line.startswith("["):
            continue  # header lines and the evaluators' lines
        m = EVAL_LINE.fullmatch(line)
        if m is None:
            raise InputError(f"{path}:{line_no}: not an utterance line '[start - end]<TAB>utt<TAB>code<TAB>[v, a, d]'")
        if m["code"] not in CODES:
            raise InputError(f"{path}:{line_no}: unknown emotion code '{m['code']}' (IEMOCAP has {', '.join(CODES)})")
        out.append((line_no, m))
    return out


def _read_transcripts(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    out = {}
    for line in decode_text(path.read_bytes()).splitlines():
        m = TRANSCRIPT_LINE.fullmatch(line.strip())
        if m is not None:  # other lines (turns without a time stamp) carry no labelled utterance
            words = " ".join(TAG.sub(" ", m["text"]).split())
            if words:
                out[m["utt"]] = words
    return out


def prepare_iemocap(root: str | Path, out: str | Path, class_map: str | Path | None = None,
                    classes: str = "4", keep_unmapped: bool = False, skip_missing: bool = False) -> Prepared:
    root, out = Path(root), Path(out)
    expect_dirs(root, SESSIONS, "IEMOCAP_full_release folder holding Session1 ... Session5")
    if class_map is None and classes not in CLASS_MAPS:
        raise InputError(f"--classes '{classes}': not one of {', '.join(CLASS_MAPS)} (or give --class-map)")
    to_class = ClassMapper(load_class_map(class_map, CLASS_MAPS.get(classes, {})), keep_unmapped)
    skips = Skips(skip_missing)
    wav, utt2spk, utt2emo, utt2dim, text = {}, {}, {}, {}, {}
    for session in SESSIONS:
        eval_dir = root / session / "dialog" / "EmoEvaluation"
        if not eval_dir.is_dir():
            raise InputError(f"{eval_dir}: not found (IEMOCAP's label files)")
        files = sorted(p for p in eval_dir.glob("*.txt") if p.is_file())
        if not files:
            raise InputError(f"{eval_dir}: no label files (<dialog>.txt)")
        for label_file in files:
            dialog = label_file.stem
            transcripts = _read_transcripts(root / session / "dialog" / "transcriptions" / f"{dialog}.txt")
            for line_no, m in _read_evaluations(label_file):
                name = m["utt"]
                n = UTT_NAME.fullmatch(name)
                if n is None or n["session"] != f"Ses0{session[-1]}":
                    raise InputError(f"{label_file}:{line_no}: utterance '{name}' is not a {session} utterance name")
                keep, cls = to_class(m["code"])
                if not keep:
                    continue
                audio = root / session / "sentences" / "wav" / dialog / f"{name}.wav"
                if not audio.is_file():
                    skips(f"{label_file}:{line_no}: audio of '{name}' not found: {audio}")
                    continue
                spk = f"{n['session']}{n['gender']}"
                utt = f"{spk}-{name}"
                wav[utt], utt2spk[utt] = str(audio.resolve()), spk
                if cls is not None:
                    utt2emo[utt] = cls
                utt2dim[utt] = f"{m['a']} {m['v']} {m['d']}"  # utt2dim: arousal valence dominance
                if name in transcripts:
                    text[utt] = transcripts[name]
    if not wav:
        raise InputError(f"{root}: no utterances with a class of the class map")
    speakers = sorted(set(utt2spk.values()))
    data = write_data_dir(out, {"wav.scp": wav, "utt2spk": utt2spk, "utt2emo": utt2emo, "utt2dim": utt2dim,
                                "text": text, "spk2gender": {s: s[-1].lower() for s in speakers},
                                "spk2fold": {s: int(s[4]) for s in speakers}})  # leave one session out
    return Prepared(data, skips.items, to_class.dropped)
