"""Feature commands: compute-fbank, dump-upstream, dump-lexical, merge-feats, compute-cmvn, feats-info,
speed-perturb, speed-audio."""
from __future__ import annotations

import json
import signal
import sys
from pathlib import Path
from typing import Optional

import typer

from jsertk.utils.errors import InputError


def _exit_on_sigterm() -> None:
    """Turn SIGTERM (kill, scancel, a launcher's Ctrl-C) into a normal exit so that files being
    written are removed instead of left half-written."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def compute_fbank(
    data: Path = typer.Argument(..., help="Kaldi data directory (wav.scp, utt2spk, optional segments)."),
    out: Path = typer.Argument(..., help="Feature dir to write (becomes a data dir with feats.scp)."),
    job: Optional[int] = typer.Option(None, help="Job number k (1..N): work on DATA/split<N>/k only."),
    nj: Optional[int] = typer.Option(None, help="Number of jobs N; give with --job; merge with merge-feats."),
    split_by: str = typer.Option("speaker", help="Which split the jobs read: 'speaker' (split<N>) or 'utterance'."),
    num_mel_bins: int = typer.Option(80, help="Number of mel bins (feature dimension)."),
    frame_length: float = typer.Option(25.0, help="Frame length in milliseconds."),
    frame_shift: float = typer.Option(10.0, help="Frame shift in milliseconds."),
    dither: float = typer.Option(0.0, help="Dither in 16-bit sample units (Kaldi's default is 1.0); 0 = reproducible."),
    sample_rate: int = typer.Option(16000, help="Expected sample rate in Hz; other rates are an error "
                                                "without --resample."),
    low_freq: float = typer.Option(20.0, help="Low cut-off of the mel bins in Hz."),
    high_freq: float = typer.Option(0.0, help="High cut-off in Hz; 0 = Nyquist, negative = offset below Nyquist."),
    snip_edges: bool = typer.Option(True, help="Kaldi's snip-edges: only frames that fit completely in the audio."),
    pitch: bool = typer.Option(False, help="Append Kaldi's pitch features (POV, window-normalised log pitch, "
                                           "delta; Kaldi's make_fbank_pitch.sh)."),
    pitch_min_f0: float = typer.Option(50.0, help="Lowest F0 the pitch tracker searches, Hz."),
    pitch_max_f0: float = typer.Option(400.0, help="Highest F0 the pitch tracker searches, Hz."),
    pitch_raw_log: bool = typer.Option(True, help="With --pitch: the un-normalised log pitch as a fourth column "
                                                  "(the pitch level, an emotion cue)."),
    resample: bool = typer.Option(False, "--resample", help="Resample audio of another rate to --sample-rate."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Leave out bad utterances (listed in bad_utts) instead of "
                                                            "stopping at the first."),
    max_segment_overshoot: float = typer.Option(0.5, help="Seconds a segment may end past its audio (it is then "
                                                          "cut); Kaldi's extract-segments default."),
    progress: bool = typer.Option(True, help="Print progress to stderr."),
) -> None:
    """Kaldi-compatible log mel filterbank features of every utterance (kaldi-native-fbank).

    Without --job: all of DATA, and OUT becomes a complete data dir (DATA's files for the
    utterances that got features, feats.scp, utt2num_frames, fbank.yaml). With --job k --nj N:
    only DATA/split<N>/k (made by `jsertk data split DATA N`), into OUT/split<N>/k; then run
    `jsertk merge-feats DATA OUT --nj N`.
    """
    from jsertk.features.compute import compute_features as run
    from jsertk.features.fbank import FbankConfig

    _exit_on_sigterm()
    config = FbankConfig(num_mel_bins=num_mel_bins, frame_length_ms=frame_length, frame_shift_ms=frame_shift,
                         dither=dither, sample_rate=sample_rate, low_freq=low_freq, high_freq=high_freq,
                         snip_edges=snip_edges, pitch=pitch, pitch_min_f0=pitch_min_f0, pitch_max_f0=pitch_max_f0,
                         pitch_raw_log=pitch_raw_log)
    done = run(data, out, config, job, nj, split_by, resample, skip_bad, max_segment_overshoot, progress)
    _report(done, out)


def _report(done, out: Path) -> None:
    result, part = done.result, done.part
    for utt, reason in list(result.failed.items())[:20]:
        typer.echo(f"skipped '{utt}': {reason}", err=True)
    if result.failed:
        typer.echo(f"{len(result.failed)} utterance(s) skipped, listed in {part / 'bad_utts'}", err=True)
    typer.echo(f"{done.source}: {result.utterances} utterances, {result.frames} frames, "
               f"{result.audio_s / 3600:.3f} h audio -> {part / 'feats.scp'}")
    if done.merged is not None:
        typer.echo(f"{out}: feats.scp with {done.merged.utterances} utterances")


def dump_upstream(
    data: Path = typer.Argument(..., help="Kaldi data directory (wav.scp, utt2spk, optional segments)."),
    out: Path = typer.Argument(..., help="Feature dir to write (becomes a data dir with feats.scp)."),
    upstream: Path = typer.Option(..., help="Local transformers model folder (wav2vec2, HuBERT, WavLM, "
                                            "data2vec-audio or Whisper); nothing is downloaded."),
    job: Optional[int] = typer.Option(None, help="Job number k (1..N): work on DATA/split<N>/k only."),
    nj: Optional[int] = typer.Option(None, help="Number of jobs N; give with --job; merge with merge-feats."),
    split_by: str = typer.Option("speaker", help="Which split the jobs read: 'speaker' (split<N>) or 'utterance'."),
    whisper_input: str = typer.Option("crop", help="Whisper only: 'crop' (positional embedding cut to the input, "
                                                   "cost in proportion to the audio) or 'pad' (every utterance "
                                                   "padded to 30 s, as Hugging Face runs it)."),
    device: str = typer.Option("cpu", help="cpu, cuda or cuda:N."),
    dtype: str = typer.Option("float32", help="Compute precision: float32, float16 or bfloat16 (GPU); the "
                                              "features are stored as float16 either way."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = torch's default); give 1 per job when several "
                                        "jobs share a machine."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Leave out bad utterances (listed in bad_utts) instead "
                                                            "of stopping at the first."),
    max_segment_overshoot: float = typer.Option(0.5, help="Seconds a segment may end past its audio (it is then "
                                                          "cut)."),
    progress: bool = typer.Option(True, help="Print progress to stderr."),
) -> None:
    """Every hidden state of a frozen pretrained upstream, once, as float16 features (frames x L*D).

    Audio at other rates is resampled to 16 kHz (logged once per rate). Training with
    `frontend.upstream.path` naming the same folder reads OUT like fbank features and takes the
    layers it wants (learned weighted sum or one layer); features of another upstream are refused.
    Jobs and merging as for compute-fbank (`--job k --nj N`, then `jsertk merge-feats`)."""
    import logging

    from jsertk.features.compute import compute_features
    from jsertk.infer.dump_upstream import UpstreamDumpConfig

    _exit_on_sigterm()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    config = UpstreamDumpConfig(str(upstream), whisper_input=whisper_input, dtype=dtype, device=device)
    done = compute_features(data, out, config, job, nj, split_by, True, skip_bad, max_segment_overshoot, progress)
    _report(done, out)


def dump_lexical(
    data: Path = typer.Argument(..., help="Kaldi data directory (wav.scp, utt2spk, optional segments)."),
    featdir: Path = typer.Argument(..., help="The feature dir of DATA (feats.scp) that gets lexical.scp, "
                                             "lexical_text, lexical_text_conf and lexical.yaml beside its features."),
    whisper: Path = typer.Option(..., help="Local Whisper folder (WhisperForConditionalGeneration, with "
                                           "tokenizer.json); nothing is downloaded."),
    beam_size: int = typer.Option(1, help="1 = greedy decoding; more = beam search with that many beams."),
    whisper_input: str = typer.Option("pad", help="'pad' (every utterance padded to 30 s, as Whisper was trained) "
                                                  "or 'crop' (encoder cut to the input; Whisper's decoder then "
                                                  "loops: docs/upstreams.md)."),
    max_new_tokens: int = typer.Option(128, help="Longest 1-best per 30 s piece, in Whisper tokens."),
    job: Optional[int] = typer.Option(None, help="Job number k (1..N): work on DATA/split<N>/k only."),
    nj: Optional[int] = typer.Option(None, help="Number of jobs N; give with --job, then once with --merge."),
    merge: bool = typer.Option(False, "--merge", help="Merge the --nj N jobs' outputs into FEATDIR (no decoding)."),
    split_by: str = typer.Option("speaker", help="Which split the jobs read: 'speaker' (split<N>) or 'utterance'."),
    device: str = typer.Option("cpu", help="cpu, cuda or cuda:N."),
    threads: int = typer.Option(0, help="torch CPU threads (0 = torch's default); give 1 per job when several "
                                        "jobs share a machine."),
    skip_bad: bool = typer.Option(False, "--skip-bad", help="Leave out bad utterances (listed in bad_utts) instead "
                                                            "of stopping at the first."),
    max_segment_overshoot: float = typer.Option(0.5, help="Seconds a segment may end past its audio (it is then "
                                                          "cut)."),
    progress: bool = typer.Option(True, help="Print progress to stderr."),
) -> None:
    """A frozen pretrained Whisper as the ASR branch of the lexical view: its 1-best and decoder states.

    Per utterance: Whisper's 1-best (greedy or beam) and its decoder's final states over that
    1-best, (1 + tokens) x d_model float16, into FEATDIR/lexical (a feature dir of its own) and,
    once complete, FEATDIR/lexical.scp with lexical_text (normalised 1-best), lexical_text_conf
    (mean token probability) and lexical.yaml (the Whisper folder's digest). A joint model with
    `lexical.source: whisper_states` reads them; `jsertk pseudolabel` takes its pseudo transcripts
    from lexical_text. Audio at other rates is resampled to 16 kHz."""
    import logging

    from jsertk.infer.dump_lexical import LexicalDumpConfig, merge_lexical
    from jsertk.infer.dump_lexical import dump_lexical as run

    _exit_on_sigterm()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if merge:
        if nj is None or job is not None:
            raise InputError("--merge needs --nj N (the number of jobs that ran) and no --job")
        merged = merge_lexical(data, featdir, nj, split_by)
        typer.echo(f"{featdir}: lexical.scp with {merged.utterances} utterances from {nj} jobs")
        return
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    config = LexicalDumpConfig(str(whisper), beam_size=beam_size, whisper_input=whisper_input,
                               max_new_tokens=max_new_tokens, device=device)
    done = run(data, featdir, config, job, nj, split_by, skip_bad, max_segment_overshoot, progress)
    _report(done, featdir / "lexical")
    if done.merged is not None:
        typer.echo(f"{featdir}: lexical.scp, lexical_text (Whisper 1-best)")


def merge_feats(
    data: Path = typer.Argument(..., help="The data directory the jobs were computed from."),
    out: Path = typer.Argument(..., help="The feature dir the jobs wrote into."),
    nj: int = typer.Option(..., help="Number of jobs that were run."),
    split_by: str = typer.Option("speaker", help="The split the jobs read: 'speaker' or 'utterance'."),
) -> None:
    """Merge the parts of `compute-fbank --job k --nj N` into OUT/feats.scp and a full data dir.

    Fails naming every job that has not finished."""
    from jsertk.features.dump import merge_parts

    merged = merge_parts(data, out, nj, split_by)
    if merged.failed:
        typer.echo(f"{len(merged.failed)} utterance(s) had no features, listed in {out / 'bad_utts'}", err=True)
    typer.echo(f"{out}: feats.scp with {merged.utterances} utterances from {nj} jobs")


def compute_cmvn(
    feats: Path = typer.Argument(..., help="A feature dir (its feats.scp) or a feats.scp file."),
    out: Optional[Path] = typer.Option(None, help="Output file; default cmvn.ark beside the feats.scp."),
    progress: bool = typer.Option(True, help="Print progress to stderr."),
) -> None:
    """Global mean/variance statistics in Kaldi's format (2 x (D+1) matrix, written as cmvn.ark)."""
    from jsertk.features.cmvn import compute_stats, mean_std, write_stats

    scp = feats / "feats.scp" if feats.is_dir() else feats
    if not scp.is_file():
        raise InputError(f"{scp}: no such feats.scp")
    target = out if out is not None else scp.parent / "cmvn.ark"
    stats = compute_stats(scp, progress=progress)
    write_stats(target, stats)
    mean, std = mean_std(stats)
    typer.echo(f"{target}: {int(stats[0, -1])} frames, dim {stats.shape[1] - 1}, mean of means {mean.mean():.3f}, "
               f"mean std {std.mean():.3f}")


def feats_info(
    path: Path = typer.Argument(..., help="A feature dir or a feats.scp file."),
    frame_shift: float = typer.Option(10.0, help="Frame shift in ms, for the hours figure."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    progress: bool = typer.Option(False, help="Print progress to stderr."),
) -> None:
    """Dimensions and frame counts; exit 1 on NaN/Inf, differing dims or utt2num_frames mismatch."""
    from jsertk.features.info import feats_info as info
    from jsertk.features.info import format_feats_info

    result = info(path, frame_shift_ms=frame_shift, progress=progress)
    typer.echo(json.dumps(result, indent=2) if as_json else format_feats_info(result))
    if result["problems"]:
        raise typer.Exit(1)


def speed_perturb(
    data: Path = typer.Argument(..., help="Source data directory."),
    out: Path = typer.Argument(..., help="Output data directory holding all speed copies."),
    factors: str = typer.Option("0.9,1.0,1.1", help="Comma-separated speed factors; 1.0 keeps the original ids."),
) -> None:
    """Add speed-perturbed copies (sox-style speed: tempo and pitch) of a data dir.

    Copies get `sp<factor>-` prefixed utterance, speaker and recording ids; labels are carried
    along; wav.scp entries become `jsertk speed-audio` pipes (computed in process by
    compute-fbank)."""
    from jsertk.features.perturb import speed_perturb as perturb

    try:
        values = [float(f) for f in factors.split(",") if f.strip()]
    except ValueError:
        raise InputError(f"--factors must be comma-separated numbers, got '{factors}'") from None
    result = perturb(data, out, values)
    typer.echo(f"{out}: {len(result.utt2spk())} utterances ({len(values)} speed copies of {data})")


def speed_audio(
    factor: float = typer.Argument(..., help="Speed factor (0.9 = 10% slower and lower)."),
    source: str = typer.Argument(..., help="Audio: a file, a wav.scp entry, or '-' for WAV on stdin."),
) -> None:
    """Write SOURCE at FACTOR speed to stdout as 16-bit WAV (used in wav.scp pipes)."""
    from jsertk.features.audio import speed_audio_wav

    stdin = sys.stdin.buffer.read() if source == "-" else None
    sys.stdout.buffer.write(speed_audio_wav(factor, source, stdin))
    sys.stdout.buffer.flush()


def add_noise(
    data: Path = typer.Argument(..., help="Source data directory."),
    out: Path = typer.Argument(..., help="Output data directory: the noisy copies only."),
    noise_dir: Optional[Path] = typer.Option(None, help="Folder of noise recordings, searched recursively (MUSAN: "
                                             "musan/noise)."),
    generated: str = typer.Option("", help="Generated noise colours instead of, or besides, --noise-dir: comma-"
                                  "separated white, pink, brown."),
    snrs: str = typer.Option("5,10,15,20", help="Comma-separated SNRs in dB; each recording gets one at random."),
    copies: int = typer.Option(1, help="Noisy copies per recording (ids prefixed noise1-, noise2-, ...)."),
    seed: int = typer.Option(0, help="Seed of the draws (noise, SNR, excerpt); the same seed writes the same dir."),
) -> None:
    """Add noisy copies of a data dir (Kaldi's augment_data_dir.py): each recording mixed with a
    noise recording or generated noise at a random SNR.

    wav.scp entries become `jsertk noise-audio SNR NOISE SEED SOURCE |` pipes (computed in
    process by compute-fbank); labels are carried along under the `noise<k>-` ids."""
    from jsertk.features.noise import GENERATED, noise_files
    from jsertk.features.perturb import add_noise as augment

    noises = noise_files(noise_dir) if noise_dir is not None else []
    noises += [GENERATED + c.strip() for c in generated.split(",") if c.strip()]
    if not noises:
        raise InputError("give --noise-dir (a folder of noise recordings, e.g. musan/noise) and/or --generated "
                         "(e.g. white,pink,brown)")
    try:
        values = [float(x) for x in snrs.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--snrs must be comma-separated numbers, got '{snrs}'") from None
    result = augment(data, out, noises, values, copies=copies, seed=seed)
    typer.echo(f"{out}: {len(result.utt2spk())} utterances ({copies} noisy cop{'y' if copies == 1 else 'ies'} of "
               f"{data}; {len(noises)} noises, SNRs {', '.join(f'{v:g}' for v in values)} dB)")


def noise_audio(
    snr: float = typer.Argument(..., help="Signal-to-noise ratio in dB (whole-signal powers)."),
    noise: str = typer.Argument(..., help="A noise audio file, or generated:white|pink|brown."),
    seed: int = typer.Argument(..., help="Seed: the generated noise, or where the file's excerpt starts."),
    source: str = typer.Argument(..., help="Audio: a file, a wav.scp entry, or '-' for WAV on stdin."),
) -> None:
    """Write SOURCE with NOISE added at SNR dB to stdout as 16-bit WAV (used in wav.scp pipes)."""
    from jsertk.features.audio import noise_audio_wav

    stdin = sys.stdin.buffer.read() if source == "-" else None
    sys.stdout.buffer.write(noise_audio_wav(snr, noise, seed, source, stdin))
    sys.stdout.buffer.flush()


def register(app: typer.Typer) -> None:
    app.command("compute-fbank")(compute_fbank)
    app.command("dump-upstream")(dump_upstream)
    app.command("dump-lexical")(dump_lexical)
    app.command("merge-feats")(merge_feats)
    app.command("compute-cmvn")(compute_cmvn)
    app.command("feats-info")(feats_info)
    app.command("speed-perturb")(speed_perturb)
    app.command("speed-audio")(speed_audio)
    app.command("add-noise")(add_noise)
    app.command("noise-audio")(noise_audio)
