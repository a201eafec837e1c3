"""Fixture trees in the exact layouts of the corpora that are not in ../shared (tiny synthetic audio),
for the preparation tests and the recipes' smoke tests. `from corpora_fixtures import ...`."""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from helpers import write_tone

IEMOCAP_EVAL_HEADER = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"


def ravdess_tree(root: Path, actors=(1, 2, 3, 4, 5, 6, 7, 8), seconds: float = 0.4, sr: int = 48000) -> Path:
    """Actor_XX/03-01-EE-II-SS-01-XX.wav: every actor says statement 01 in emotions 01-04 (and 05 for even
    actors), actor 2's angry file in stereo."""
    for a in actors:
        for emo in (1, 2, 3, 4) + ((5,) if a % 2 == 0 else ()):
            name = f"03-01-{emo:02d}-01-01-01-{a:02d}.wav"
            write_tone(root / f"Actor_{a:02d}" / name, seconds, sr=sr, freq=150 + 40 * emo,
                       channels=2 if (a, emo) == (2, 5) else 1)
    return root


def cremad_tree(root: Path, actors=range(1001, 1011), seconds: float = 0.4) -> Path:
    rows = ["ActorID,Age,Sex,Race,Ethnicity"]
    for i, a in enumerate(actors):
        rows.append(f"{a},{30 + i},{'Male' if i % 2 else 'Female'},Caucasian,Not Hispanic")
        for j, (sent, emo) in enumerate((("IEO", "ANG"), ("TIE", "NEU"), ("DFA", "SAD"), ("ITS", "HAP"))):
            write_tone(root / "AudioWAV" / f"{a}_{sent}_{emo}_{'XX' if j else 'HI'}.wav", seconds, freq=150 + 50 * j)
    (root / "VideoDemographics.csv").write_text("\n".join(rows) + "\n")
    return root


def iemocap_tree(root: Path, seconds: float = 0.4) -> Path:
    """Session1..5, one improvised dialog each with 6 turns (3 per speaker) and labels neu hap exc sad ang fru."""
    codes = ("neu", "hap", "exc", "sad", "ang", "fru")
    for s in range(1, 6):
        ses = root / f"Session{s}"
        dialog = f"Ses0{s}F_impro01"
        evals, trans = [IEMOCAP_EVAL_HEADER], []
        for i, code in enumerate(codes):
            gender = "FM"[i % 2]
            utt = f"{dialog}_{gender}{i:03d}"
            start, end = 1.0 + 2 * i, 2.5 + 2 * i
            write_tone(ses / "sentences" / "wav" / dialog / f"{utt}.wav", seconds, freq=150 + 30 * i)
            evals.append(f"[{start:.4f} - {end:.4f}]\t{utt}\t{code}\t[{2.5 + i * 0.1:.4f}, {3.0:.4f}, {2.0:.4f}]\n")
            evals.append("C-E1:\tNeutral;\t()\nA-E1:\tval 3; act 3; dom  3;\t()\n\n")
            trans.append(f"{utt} [{start:08.4f}-{end:08.4f}]: Hello there [LAUGHTER] number {i}.\n")
        trans.append("M: [BREATHING]\n")
        (ses / "dialog" / "EmoEvaluation").mkdir(parents=True)
        (ses / "dialog" / "EmoEvaluation" / f"{dialog}.txt").write_text("".join(evals))
        (ses / "dialog" / "transcriptions").mkdir(parents=True)
        (ses / "dialog" / "transcriptions" / f"{dialog}.txt").write_text("".join(trans))
    return root


def meld_tree(root: Path, seconds: float = 0.4) -> Path:
    """MELD.Raw with the three tables and wav-content .mp4 clips (ffmpeg reads them by content)."""
    header = "Sr No.,Utterance,Speaker,Emotion,Sentiment,Dialogue_ID,Utterance_ID,Season,Episode,StartTime,EndTime\n"
    folders = {"train": "train/train_splits", "dev": "dev_splits_complete", "test": "output_repeated_splits_test"}
    speakers = ("Chandler", "Monica", "Mr. Geller")
    emotions = ("neutral", "joy", "anger", "sadness")
    for split, folder in folders.items():
        lines = [header]
        for d in range(2):
            for u in range(3):
                n = len(lines)
                lines.append(f'{n},"Line {d} {u}, said.",{speakers[(d + u) % 3]},{emotions[(d + u + n) % 4]},'
                             f"neutral,{d},{u},1,1,\"00:00:01,000\",\"00:00:02,000\"\n")
                clip = write_tone(root / folder / f"dia{d}_utt{u}.wav", seconds)
                clip.rename(clip.with_suffix(".mp4"))
        (root / f"{split}_sent_emo.csv").write_text("".join(lines))
    return root


def librispeech_tree(root: Path, subsets=("train-clean-100", "dev-clean", "test-clean"), seconds: float = 0.4) -> Path:
    speakers = {"train-clean-100": ("103", "1034"), "dev-clean": ("84",), "test-clean": ("1089",)}
    table = ["; comment line", ";ID  |SEX| SUBSET           |MINUTES| NAME"]
    for subset in subsets:
        for k, spk in enumerate(speakers[subset]):
            table.append(f"{spk:<5}| {'FM'[k % 2]} | {subset:<17}| 25.00 | Reader {spk}")
            chapter = root / subset / spk / "1240"
            lines = []
            for u in range(3):
                utt = f"{spk}-1240-{u:04d}"
                write_tone(chapter / f"{utt}.flac", seconds)
                lines.append(f"{utt} CHAPTER ONE WORD {u}\n")
            (chapter / f"{spk}-1240.trans.txt").write_text("".join(lines))
    (root / "SPEAKERS.TXT").write_text("\n".join(table) + "\n")
    return root


def emodb_subset(root: Path, emodb: Path, per_emotion: int = 2) -> Path:
    """The real EmoDB cut for recipe smoke tests: the first `per_emotion` files of each speaker and
    emotion (135 of its 535 with the default 2), linked into `root/wav` in the corpus's own layout."""
    (root / "wav").mkdir(parents=True, exist_ok=True)
    taken: Counter[tuple[str, str]] = Counter()
    for wav in sorted((emodb / "wav").glob("*.wav")):
        key = (wav.name[:2], wav.name[5])  # SSTTTEV.wav: speaker, emotion
        taken[key] += 1
        if taken[key] <= per_emotion:
            (root / "wav" / wav.name).symlink_to(wav.resolve())
    return root
