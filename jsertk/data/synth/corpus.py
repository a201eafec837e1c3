"""Make the whole corpus: choose speakers (gender measured), plan, render in parallel
processes, write the Kaldi data dirs. Rerunning with the same options resumes: finished wav
files are kept; other options into a used directory are refused unless `overwrite`."""
from __future__ import annotations

import json
import multiprocessing
import shutil
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from jsertk.data.synth import render, voices
from jsertk.data.synth.plan import Options, Utterance, plan_corpus
from jsertk.data.synth.sets import write_sets
from jsertk.data.synth.voices import Speaker
from jsertk.utils.atomic import atomic_write_text

MANIFEST = "corpus.json"
FORMAT = 2  # bump when the same options would give different audio
MAX_CANDIDATE_ROUNDS = 8
PROBE_CHUNK = 16  # candidates measured between checks for a complete speaker set
OWNED = ("wav", "meta", MANIFEST)  # what --overwrite removes


@dataclass
class Result:
    out: Path
    data_dir: Path
    speakers: list[Speaker]
    utterances: list[Utterance]
    rendered: int  # wav files made in this run (the rest existed)
    seconds: float


def _log(msg: str) -> None:
    print(f"synth-corpus: {msg}", file=sys.stderr, flush=True)


def _read_manifest(out: Path) -> dict | None:
    path = out / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: not valid JSON ({e}); remove it or rerun with --overwrite") from None


def _check_target(out: Path, data_dir: Path, options: Options, overwrite: bool) -> dict | None:
    """The manifest to resume from, or None to start afresh; refuses to mix two corpora."""
    manifest = _read_manifest(out)
    wanted = {"format": FORMAT, "options": options.to_dict()}
    if manifest is not None and {k: manifest.get(k) for k in wanted} == wanted:
        return manifest
    if not overwrite:
        if manifest is not None:
            old = manifest.get("options", {})
            diff = ", ".join(f"{k} {old.get(k)!r} -> {v!r}" for k, v in options.to_dict().items() if old.get(k) != v)
            raise ValueError(f"{out} holds a corpus made with other options ({diff or 'older format'}); "
                             "rerun with --overwrite to replace it, or choose another directory")
        foreign = [p.name for p in out.iterdir() if p.resolve() != data_dir.resolve()] if out.is_dir() else []
        if foreign:
            raise ValueError(f"{out} is not empty and holds no {MANIFEST} (found {', '.join(sorted(foreign)[:5])}); "
                             "choose an empty directory, or rerun with --overwrite")
    for name in OWNED:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    return None


def _pool(nj: int) -> ProcessPoolExecutor:
    # Fresh interpreters: the engine forks per utterance, which must not inherit a caller's threads.
    return ProcessPoolExecutor(max_workers=nj, mp_context=multiprocessing.get_context("spawn"),
                               initializer=render.init_worker)


def choose_speakers(pool: ProcessPoolExecutor, options: Options) -> list[Speaker]:
    """Draw candidates, measure their F0 a few at a time, stop at a gender-balanced set."""
    voices.split_counts(options.speakers)  # validate before any work
    rng = np.random.default_rng([options.seed, 1000])
    measured: list[Speaker] = []
    for _ in range(MAX_CANDIDATE_ROUNDS):
        batch = voices.candidates(rng)
        for i in range(0, len(batch), PROBE_CHUNK):
            chunk = batch[i: i + PROBE_CHUNK]
            f0s = pool.map(render.probe_f0, chunk)
            measured += [Speaker(**{**s.to_dict(), "f0": round(f, 1)}) for s, f in zip(chunk, f0s)]
            chosen = voices.select(measured, options.speakers)
            if chosen is not None:
                return chosen
    raise ValueError(f"could not find {options.speakers // 2} clearly female and male voices each; "
                     "ask for fewer speakers")


def _render_all(pool: ProcessPoolExecutor, todo: list[tuple[Utterance, Speaker, Path]], total: int,
                log: Callable[[str], None]) -> dict[str, int]:
    batches = [todo[i: i + 16] for i in range(0, len(todo), 16)]
    futures = [pool.submit(render.render_batch, b) for b in batches]
    num_samples: dict[str, int] = {}
    start, last = time.monotonic(), 0.0
    try:
        for fut in as_completed(futures):
            num_samples.update(fut.result())
            now = time.monotonic()
            if now - last > 5 or len(num_samples) == len(todo):
                done, elapsed = len(num_samples), now - start
                left = elapsed / done * (len(todo) - done)
                log(f"{total - len(todo) + done}/{total} utterances, {elapsed:.0f} s elapsed, ~{left:.0f} s left")
                last = now
    except BaseException:
        for f in futures:
            f.cancel()
        raise
    return num_samples


def _write_meta(out: Path, speakers: list[Speaker], utts: list[Utterance]) -> None:
    """What was planned, per utterance and per speaker, as tab-separated tables with a header."""
    gender = {s.id: s.gender for s in speakers}
    utt_rows = [("utt", "set", "spk", "gender", "emotion", "lexical", "intensity", "rate", "pitch", "range", "level_db",
                 "noise", "snr_db", "text")]
    utt_rows += [(u.utt, u.set, u.spk, gender[u.spk], u.emotion, int(u.lexical), u.prosody.intensity, u.prosody.rate,
                  u.prosody.pitch, u.prosody.range, u.prosody.level_db, u.noise_kind or "-",
                  "-" if u.snr_db is None else u.snr_db, u.text) for u in utts]
    spk_rows = [("id", "group", "gender", "f0", "variant", "pitch", "warp", "rate_factor", "level_db")]
    spk_rows += [(s.id, s.group, s.gender, s.f0, s.variant, s.pitch, s.warp, s.rate_factor, s.level_db)
                 for s in speakers]
    for name, rows in (("utterances.tsv", utt_rows), ("speakers.tsv", spk_rows)):
        atomic_write_text(out / "meta" / name, "".join("\t".join(map(str, r)) + "\n" for r in rows))


def generate(out: str | Path, options: Options, data_dir: str | Path | None = None, nj: int = 1,
             overwrite: bool = False, log: Callable[[str], None] = _log) -> Result:
    """Make (or finish) the corpus in `out` (wav/, meta/, corpus.json) and its data dirs
    (default `out/data/<set>`)."""
    if nj < 1:
        raise ValueError(f"--nj must be at least 1 (got {nj})")
    t0 = time.monotonic()
    out = Path(out).resolve()
    data_dir = Path(data_dir).resolve() if data_dir is not None else out / "data"
    manifest = _check_target(out, data_dir, options, overwrite)
    out.mkdir(parents=True, exist_ok=True)
    with _pool(nj) as pool:
        if manifest is not None and manifest.get("speakers"):
            speakers = [Speaker(**s) for s in manifest["speakers"]]
        else:
            speakers = choose_speakers(pool, options)
        manifest = {"format": FORMAT, "options": options.to_dict(), "complete": False,
                    "speakers": [s.to_dict() for s in speakers]}
        atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")
        utts = plan_corpus(options, speakers)
        by_id = {s.id: s for s in speakers}
        paths = {u.utt: out / u.wav_relpath() for u in utts}
        todo = [(u, by_id[u.spk], paths[u.utt]) for u in utts if not paths[u.utt].is_file()]
        log(f"{len(speakers)} speakers, {len(utts)} utterances planned, {len(utts) - len(todo)} already made; "
            f"{nj} jobs")
        made = _render_all(pool, todo, len(utts), log) if todo else {}
    import soundfile as sf

    num_samples = {u.utt: made[u.utt] if u.utt in made else sf.info(str(paths[u.utt])).frames for u in utts}
    _write_meta(out, speakers, utts)
    write_sets(utts, speakers, num_samples, out, data_dir)
    seconds = time.monotonic() - t0
    manifest.update(complete=True, audio_hours=round(sum(num_samples.values()) / 16000 / 3600, 3))
    atomic_write_text(out / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    return Result(out, data_dir, speakers, utts, len(made), seconds)
