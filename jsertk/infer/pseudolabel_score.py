"""Per-utterance scores for pseudo-labelling: every emotion view's posteriors and the CTC 1-best
with its confidence (for a model whose lexical view reads Whisper's decoder states, Whisper's
1-best and confidence from the feature dir's lexical_text and lexical_text_conf instead),
computed in-process or by a job array over parts of the feature dir.

Scores travel as JSON lines (one utterance per line), so a job's part can be written atomically,
reused on a rerun, and merged in the parent, which then selects (jsertk.infer.pseudolabel).
"""
from __future__ import annotations

import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from jsertk.data.split import split
from jsertk.utils.atomic import atomic_open, atomic_write_text
from jsertk.utils.errors import JsertkError
from jsertk.utils.progress import Progress

FUSED, ACOUSTIC, LEXICAL = "emotion", "emotion_acoustic", "emotion_lexical"
VIEWS = (FUSED, ACOUSTIC, LEXICAL)


class PseudoLabelError(JsertkError):
    """Bad input or a failed step of pseudo-labelling; the message names the file or utterance."""


@dataclass
class UttScores:
    utt: str
    views: dict[str, list[float]]  # emotion head name -> posteriors over the class list
    text: str  # CTC 1-best, decoded
    text_conf: float  # mean peak posterior of its tokens (0 for an empty hypothesis)

    def to_json(self) -> str:
        return json.dumps({"utt": self.utt, "views": self.views, "text": self.text, "text_conf": self.text_conf},
                          ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> "UttScores":
        d = json.loads(line)
        return cls(d["utt"], {k: [float(x) for x in v] for k, v in d["views"].items()}, d["text"],
                   float(d["text_conf"]))


def check_feature_dir(data: Path) -> None:
    if not (data / "feats.scp").is_file():
        raise PseudoLabelError(f"{data / 'feats.scp'}: not found; no features yet: run stage 1 / jsertk compute-fbank")


def load_jser(model_dir: Path, checkpoint: str, device: str):
    """(model, tokenizer) of a jser experiment dir, with its class list checked first."""
    from jsertk.tasks.experiment import load_model

    if not (Path(model_dir) / "classes.txt").is_file():
        raise PseudoLabelError(f"{Path(model_dir) / 'classes.txt'}: not found; {model_dir} is not a trained jser "
                               "experiment dir (classes.txt is written by `jsertk train` with model: jser)")
    model, cfg, resources = load_model(model_dir, checkpoint, device)
    if cfg["model"] != "jser":
        raise PseudoLabelError(f"{model_dir}: a '{cfg['model']}' model; pseudo-labelling needs a jser model")
    return model, resources.tokenizer


def emotion_heads_of(model_dir: Path) -> set[str] | None:
    """The emotion heads a jser experiment's config.yaml builds (None when it cannot be read); lets a
    run stop before scoring when the agreement asks for a head the model lacks."""
    import yaml

    try:
        cfg = yaml.safe_load((Path(model_dir) / "config.yaml").read_text(encoding="utf-8"))
        heads = cfg["heads"]
        return {FUSED} | {v for v in (ACOUSTIC, LEXICAL) if float(heads.get(v, 0)) > 0}
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError):
        return None


def score_dir(model, tokenizer, data: Path, max_frames_per_batch: int = 20000, device: str = "cpu",
              progress: Callable[[int, int], None] | None = None) -> tuple[list[UttScores], list[str]]:
    """(scores sorted by utterance, utterances too short for the encoder) of a feature dir."""
    from jsertk.infer.asr import DecodeStats
    from jsertk.infer.ser import predict_dir

    check_feature_dir(data)
    too_short: list[str] = []
    scores = [UttScores(r.utt, {FUSED: r.posteriors.tolist(), **{k: v.tolist() for k, v in r.views.items()}},
                        r.text, r.text_conf)
              for r in predict_dir(model, tokenizer, data, DecodeStats(), max_frames_per_batch, device,
                                   skipped=too_short, progress=progress)]
    if getattr(model, "reads_lexical_states", False):
        scores = [UttScores(s.utt, s.views, *text) for s, text in zip(scores, whisper_texts(data, scores))]
    scores.sort(key=lambda s: s.utt.encode())
    return scores, sorted(too_short)


def whisper_texts(data: Path, scores: list[UttScores]) -> list[tuple[str, float]]:
    """(Whisper 1-best, its confidence) of each scored utterance, from `jsertk dump-lexical`'s tables."""
    from jsertk.data.table import read_table
    from jsertk.tasks.upstream import LEXICAL_TABLES

    tables = []
    for name in LEXICAL_TABLES:
        if not (data / name).is_file():
            raise PseudoLabelError(f"{data / name}: not found; the model reads Whisper decoder states, whose 1-best "
                                   "transcripts are the pseudo transcripts: run `jsertk dump-lexical` on this dir")
        tables.append(read_table(data / name))
    texts, confs = tables
    missing = [s.utt for s in scores if s.utt not in texts or s.utt not in confs]
    if missing:
        raise PseudoLabelError(f"{data}: no Whisper 1-best for {len(missing)} utterance(s) (first: '{missing[0]}') in "
                               "lexical_text / lexical_text_conf; run `jsertk dump-lexical` on this dir again")
    return [(texts[s.utt], float(confs[s.utt])) for s in scores]


def write_scores(path: Path, scores: list[UttScores], too_short: list[str]) -> None:
    """JSON lines, atomically; a last line {"too_short": [...]} records the utterances left out."""
    with atomic_open(path) as f:
        f.writelines(s.to_json() + "\n" for s in scores)
        f.write(json.dumps({"too_short": too_short}) + "\n")


def read_scores(path: Path) -> tuple[list[UttScores], list[str]]:
    scores, too_short, done = [], [], False
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                d = json.loads(line)
                if "too_short" in d:
                    too_short, done = list(d["too_short"]), True
                else:
                    scores.append(UttScores.from_json(line))
            except (ValueError, KeyError, TypeError) as e:
                raise PseudoLabelError(f"{path}:{n}: not a score line ({e}); "
                                       "delete the file to rescore its part") from e
    if not done:
        raise PseudoLabelError(f"{path}: incomplete (no final too_short line); delete it to rescore its part")
    return scores, too_short


def progress_printer(label: str) -> Callable[[int, int], None]:
    """A `progress(done, total)` callback showing `label: done/total utterances` (jsertk.utils.progress)."""
    state: dict = {}

    def report(done: int, total: int) -> None:
        if "meter" not in state:
            state["meter"] = Progress(total, f"{label}: scoring")
        meter = state["meter"]
        meter.update(done - meter.n)
        if done >= total:
            meter.close()
    return report


# The job array ---------------------------------------------------------------------------------

def _stamp(model_dir: Path, checkpoint: str, data: Path, nj: int, max_frames_per_batch: int) -> str:
    weights = Path(checkpoint) if Path(checkpoint).is_absolute() or "/" in checkpoint else model_dir / checkpoint
    files = {}
    for p in (weights, model_dir / "config.yaml", model_dir / "classes.txt", data / "feats.scp"):
        st = p.stat() if p.exists() else None
        files[str(p.resolve())] = [st.st_size, st.st_mtime_ns] if st else None
    return json.dumps({"nj": nj, "max_frames_per_batch": max_frames_per_batch, "files": files}, sort_keys=True)


def score_parallel(model_dir: Path, checkpoint: str, data: Path, work: Path, nj: int, backend: str = "local",
                   max_frames_per_batch: int = 20000, device: str = "cpu", threads: int = 0
                   ) -> tuple[list[UttScores], list[str]]:
    """Score `data` in `nj` jobs of the launcher; parts finished by an earlier run of the same model
    on the same features are reused. Work files live in `work` (split, scores.K.jsonl, log/)."""
    from jsertk.parallel.jobs import JobRange
    from jsertk.parallel.launch import LaunchOptions, failure_report, launch

    check_feature_dir(data)
    model_dir, data, work = Path(model_dir).resolve(), Path(data).resolve(), Path(work).resolve()
    stamp = _stamp(model_dir, checkpoint, data, nj, max_frames_per_batch)
    if (work / "stamp.json").is_file() and (work / "stamp.json").read_text() != stamp:
        shutil.rmtree(work)  # another model, checkpoint, feature set or split: nothing is reusable
    work.mkdir(parents=True, exist_ok=True)
    atomic_write_text(work / "stamp.json", stamp)
    split_dir = work / f"split{nj}"
    if not all((split_dir / str(k) / "feats.scp").is_file() for k in range(1, nj + 1)):
        split(data, nj, by="utterance", out=split_dir)
    outputs = [work / f"scores.{k}.jsonl" for k in range(1, nj + 1)]
    for k, out in enumerate(outputs, 1):
        if not out.is_file():  # a log that says "succeeded" must not skip a part whose output is gone
            (work / "log" / f"score.{k}.log").unlink(missing_ok=True)
    done = sum(out.is_file() for out in outputs)
    if done:
        print(f"pseudolabel: reusing {done} of {nj} finished parts in {work}", file=sys.stderr)
    if done < nj:
        args = [sys.executable, "-m", "jsertk.cli.main", "pseudolabel-score", "--model", str(model_dir),
                "--checkpoint", checkpoint, "--data", str(split_dir / "JOB"), "--out", str(work / "scores.JOB.jsonl"),
                "--max-frames-per-batch", str(max_frames_per_batch), "--device", device, "--threads", str(threads)]
        print(f"pseudolabel: scoring {nj - done} part(s) with the {backend} backend; logs in "
              f"{work / 'log'}/score.JOB.log", file=sys.stderr)
        report = launch(LaunchOptions(backend=backend, only_failed=True), JobRange("JOB", 1, nj),
                        str(work / "log" / "score.JOB.log"), args)
        if report.failed:
            raise PseudoLabelError("scoring jobs failed:\n" + failure_report(report))
    scores, too_short = [], []
    for k, out in enumerate(outputs, 1):
        if not out.is_file():
            raise PseudoLabelError(f"{out}: missing after its job succeeded; see {work / 'log' / f'score.{k}.log'}")
        s, t = read_scores(out)
        scores += s
        too_short += t
        print(f"pseudolabel: part {k}/{nj}: {len(s)} utterances", file=sys.stderr)
    scores.sort(key=lambda s: s.utt.encode())
    return scores, sorted(too_short)

