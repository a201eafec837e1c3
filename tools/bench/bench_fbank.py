#!/usr/bin/env python
"""Fbank throughput: jsertk compute-fbank vs kaldi-native-fbank called directly, and --nj scaling.

On a generated corpus of speech-like audio (harmonic source with a moving pitch, syllable
envelope, formant resonances, noise), side by side in one run:
  1. kaldi-native-fbank directly on audio already in memory (the floor: no I/O at all);
  2. the jsertk library (read WAV, fbank, write ark/scp, merge into a dump dir);
  3. the `jsertk compute-fbank` command (the same plus interpreter start-up);
  4. `jsertk launch JOB=1:N ... compute-fbank --job JOB --nj N` + merge-feats for N = 1, 2, ...
Throughput is audio seconds per wall second per core used ("x real time per core"); each
figure is the best of --repeat runs. Results go to the `fbank` section of docs/benchmarks.md.

    tools/venv/bin/python tools/bench/bench_fbank.py [--minutes 20] [--repeat 5] [--max-nj 2]
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, update_section  # noqa: E402

RATE = 16000


def speechlike(seconds: float, rng: np.random.Generator) -> np.ndarray:
    from scipy.signal import lfilter

    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    f0 = rng.uniform(100, 200) + 30 * np.sin(2 * np.pi * rng.uniform(0.3, 1.0) * t + rng.uniform(0, 6))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    source = sum(np.sin(k * phase) / k for k in range(1, 25))
    envelope = np.sqrt(np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t + rng.uniform(0, 6)), 0, None))
    x = source * envelope + 0.05 * rng.standard_normal(n)
    for formant, bandwidth in ((rng.uniform(400, 800), 80), (rng.uniform(1100, 2000), 120), (2600, 200)):
        r = np.exp(-np.pi * bandwidth / RATE)
        x = lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * formant / RATE), r * r], x)
    return (0.5 * x / np.max(np.abs(x))).astype(np.float32)


def make_corpus(root: Path, minutes: float, seed: int = 0) -> tuple[Path, float]:
    rng = np.random.default_rng(seed)
    data = root / "data"
    (data / "wav").mkdir(parents=True)
    wav, utt2spk, total, i = [], [], 0.0, 0
    while total < minutes * 60:
        seconds = float(rng.uniform(2.0, 8.0))
        spk = f"spk{i % 8}"
        utt = f"{spk}-utt{i:05d}"
        path = data / "wav" / f"{utt}.wav"
        sf.write(path, speechlike(seconds, rng), RATE, subtype="PCM_16")
        wav.append(f"{utt} {path}")
        utt2spk.append(f"{utt} {spk}")
        total += seconds
        i += 1
    (data / "wav.scp").write_text("\n".join(sorted(wav)) + "\n")
    (data / "utt2spk").write_text("\n".join(sorted(utt2spk)) + "\n")
    spk2utt: dict[str, list[str]] = {}
    for line in sorted(utt2spk):
        u, s = line.split()
        spk2utt.setdefault(s, []).append(u)
    (data / "spk2utt").write_text("".join(f"{s} {' '.join(us)}\n" for s, us in sorted(spk2utt.items())))
    return data, total


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def child_cpu_s() -> float:
    """CPU seconds of all finished child processes (and theirs) so far."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def direct_knf(audio: list[np.ndarray]) -> None:
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.mel_opts.num_bins = 80
    for x in audio:
        fb = knf.OnlineFbank(opts)
        fb.accept_waveform(RATE, x)
        fb.input_finished()
        np.stack([fb.get_frame(i) for i in range(fb.num_frames_ready)])


def peak_rss_mib(cmd: list, env: dict) -> float:
    """Peak resident memory of a command (run under a fresh parent, so no other child counts)."""
    probe = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:], capture_output=True); "
             "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if r.returncode == 0 else -1)")
    out = subprocess.run([sys.executable, "-c", probe, *map(str, cmd)], capture_output=True, text=True, env=env)
    kib = int(out.stdout.strip() or -1)
    if kib < 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}")
    return kib / 1024


def run(cmd: list, env: dict) -> None:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{proc.stderr}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=20.0, help="minutes of generated audio (default 20)")
    ap.add_argument("--repeat", type=int, default=5, help="runs per figure; the best counts (default 5)")
    ap.add_argument("--max-nj", type=int, default=os.cpu_count() or 1, help="largest --nj tried (default: cores)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = ap.parse_args()

    from jsertk.data import DataDir
    from jsertk.data.split import split
    from jsertk.features.dump import merge_parts
    from jsertk.features.extract import extract_part, part_dir
    from jsertk.features.fbank import FbankConfig

    bindir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"}
    jsertk = [sys.executable, "-m", "jsertk.cli.main"]
    load_before = os.getloadavg()[0]  # the machine may be shared: say how busy it was
    work = Path(tempfile.mkdtemp(prefix="bench_fbank."))
    try:
        print(f"generating {args.minutes:g} min of audio in {work} ...", file=sys.stderr)
        data, audio_s = make_corpus(work, args.minutes)
        n_utts = len((data / "utt2spk").read_text().splitlines())
        audio = [sf.read(line.split()[1], dtype="float32")[0] * np.float32(32768)
                 for line in (data / "wav.scp").read_text().splitlines()]

        def library():
            out = work / "lib"
            shutil.rmtree(out, ignore_errors=True)
            extract_part(DataDir(data), part_dir(out, 1, 1), FbankConfig(), progress=False)
            merge_parts(data, out, 1)

        def cli():
            shutil.rmtree(work / "cli", ignore_errors=True)
            run([*jsertk, "compute-fbank", data, work / "cli", "--no-progress"], env)

        library()  # warm the page cache and imports before timing anything
        rows = [("kaldi-native-fbank called directly, audio in memory",
                 best_of(args.repeat, lambda: direct_knf(audio))),
                ("jsertk library: read WAV, fbank, write ark/scp, merge", best_of(args.repeat, library)),
                ("`jsertk compute-fbank` command (with interpreter start-up)", best_of(args.repeat, cli))]
        direct_s = rows[0][1]
        one = work / "one"
        run([*jsertk, "data", "subset", data, one, "--first", 1], env)

        def startup():
            shutil.rmtree(work / "one_out", ignore_errors=True)
            run([*jsertk, "compute-fbank", one, work / "one_out", "--no-progress"], env)

        startup_s = best_of(args.repeat, startup)

        # Memory must not grow with the corpus: peak RSS on a quarter of it and on all of it.
        quarter = work / "quarter"
        run([*jsertk, "data", "subset", data, quarter, "--first", max(1, n_utts // 4)], env)
        memory = [(f"{n_utts // 4} utterances (a quarter)", peak_rss_mib(
                      [*jsertk, "compute-fbank", quarter, work / "mq", "--no-progress"], env)),
                  (f"{n_utts} utterances (all)", peak_rss_mib(
                      [*jsertk, "compute-fbank", data, work / "ma", "--no-progress"], env))]

        scaling = []
        for nj in range(1, max(1, args.max_nj) + 1):
            if nj > 1:
                split(data, nj, by="utterance")

            def jobs(nj=nj):
                out = work / f"nj{nj}"
                shutil.rmtree(out, ignore_errors=True)
                run([*jsertk, "launch", "--max-jobs", nj, f"JOB=1:{nj}", work / "log" / f"nj{nj}.JOB.log", "jsertk",
                     "compute-fbank", data, out, "--job", "JOB", "--nj", nj, "--split-by", "utterance",
                     "--no-progress"], env)
                run([*jsertk, "merge-feats", data, out, "--nj", nj, "--split-by", "utterance"], env)

            cpu_before = child_cpu_s()
            wall = best_of(args.repeat, jobs)
            scaling.append((nj, wall, (child_cpu_s() - cpu_before) / args.repeat))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    lines = [
        "## Fbank extraction (`tools/bench/bench_fbank.py`)",
        "",
        f"Machine: {machine()}.",
        f"Command: `tools/venv/bin/python tools/bench/bench_fbank.py --minutes {args.minutes:g} "
        f"--repeat {args.repeat} --max-nj {args.max_nj}` (`make bench` runs it with its defaults), "
        f"run on {time.strftime('%Y-%m-%d')}.",
        f"Corpus: {n_utts} generated speech-like utterances (2-8 s), {audio_s / 60:.1f} min, 16 kHz 16-bit WAV; "
        f"80 mel bins, 25 ms frames, 10 ms shift, no dither. Best of {args.repeat} runs (wall clock); "
        f"load average {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after.",
        "",
        "| one process | seconds | x real time per core | ratio to direct |",
        "|---|---:|---:|---:|",
    ]
    for name, secs in rows:
        lines.append(f"| {name} | {secs:.2f} | {audio_s / secs:.0f} | {direct_s / secs:.2f} |")
    lines.append(f"| `jsertk compute-fbank` on a single utterance (start-up, fixed per job) | {startup_s:.2f} | | |")
    lines += ["", "| `jsertk launch` + compute-fbank --nj N + merge-feats | seconds | x real time | "
              "x real time per core | speed-up | CPU seconds | x real time per CPU second |",
              "|---|---:|---:|---:|---:|---:|---:|"]
    for nj, secs, cpu in scaling:
        lines.append(f"| --nj {nj} | {secs:.2f} | {audio_s / secs:.0f} | {audio_s / secs / nj:.0f} | "
                     f"{scaling[0][1] / secs:.2f} | {cpu:.2f} | {audio_s / cpu:.0f} |")
    lines += ["", "| peak memory of `jsertk compute-fbank` on | MiB |", "|---|---:|"]
    lines += [f"| {what} | {mib:.0f} |" for what, mib in memory]
    lines += ["", "The ratio is direct time / toolkit time: 1.00 means the toolkit's audio reading, ark/scp "
              "writing and bookkeeping cost nothing; the target is >= 0.80. The --nj runs include starting "
              "one Python process per job and the merge. CPU seconds (launcher, jobs and merge, mean per run) "
              "do not depend on how busy the machine is: equal x real time per CPU second for every N means "
              "the jobs split the work without adding to it, so wall time falls with N as long as cores are free."]
    if load_before > 0.5 * (os.cpu_count() or 1):
        lines.append(f"The machine was busy with other work during this run (load {load_before:.1f} on "
                     f"{os.cpu_count()} cores): the --nj speed-up understates what idle cores give.")
    markdown = "\n".join(lines)
    library_s, cli_s = rows[1][1], rows[2][1]
    summary = (f"On {os.cpu_count()} cores ({time.strftime('%Y-%m-%d')}, {audio_s / 60:.0f} min of audio): "
               f"kaldi-native-fbank alone {audio_s / direct_s:.0f}x real time per core; jsertk's library path "
               f"(read WAV, fbank, write ark/scp, merge) {audio_s / library_s:.0f}x, ratio "
               f"{direct_s / library_s:.2f}; the `jsertk compute-fbank` command {audio_s / cli_s:.0f}x, ratio "
               f"{direct_s / cli_s:.2f} (it includes a fixed {startup_s:.1f} s per job to start the interpreter and "
               f"load the libraries); --nj {scaling[-1][0]} speed-up "
               f"{scaling[0][1] / scaling[-1][1]:.2f} in wall time, "
               f"{audio_s / scaling[0][2]:.0f}x vs {audio_s / scaling[-1][2]:.0f}x real time per CPU second "
               f"for --nj 1 vs {scaling[-1][0]}; peak memory "
               f"{memory[0][1]:.0f} MiB on a quarter of the corpus, {memory[1][1]:.0f} MiB on all of it.")
    print(markdown)
    print(summary)
    if not args.no_write:
        update_section("fbank", markdown)
        update_section("fbank-summary", summary, ROOT / "docs" / "features.md")


if __name__ == "__main__":
    main()
