"""Utterance-level openSMILE functionals (eGeMAPS, ComParE) as a feature dir, for the classical
baselines (`jsertk compute-functionals DATA OUT --feature-set egemaps`).

Each utterance becomes one (1, D) float32 row in OUT/feats.ark (D = 88 for eGeMAPSv02, 6373 for
ComParE_2016), with the data dir's label files beside it and OUT/functionals.yaml naming the
feature set. Audio is read as for fbank (wav.scp entries, pipes, segments, channels averaged)
at its own rate, which openSMILE takes as it is. openSMILE is the PyPI package `opensmile`
(`pip install opensmile`), imported only here.

`pool_features(FEATS, OUT)` (`jsertk pool-feats`) makes the same kind of dir from frame features
instead: the mean and standard deviation over each utterance's frames of every dimension (for
dumped upstream states, of every hidden state: the usual linear probe of a frozen upstream).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import yaml

from jsertk.data.datadir import DataDir
from jsertk.data.table import write_table
from jsertk.features.audio import AudioError, UtteranceAudio
from jsertk.features.dump import copy_data_files
from jsertk.features.io import ArkScpWriter
from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.errors import InputError
from jsertk.utils.progress import Progress

FEATURE_SETS = {"egemaps": "eGeMAPSv02", "compare": "ComParE_2016"}
CONFIG_NAME = "functionals.yaml"


def smile_extractor(feature_set: str):
    """The openSMILE functionals extractor of `feature_set` (egemaps or compare)."""
    if feature_set not in FEATURE_SETS:
        raise InputError(f"--feature-set '{feature_set}': not one of {', '.join(FEATURE_SETS)}")
    try:
        import opensmile
    except ImportError:
        raise InputError("the baselines need openSMILE: pip install opensmile (tools/install.sh installs it)") from None
    return opensmile.Smile(feature_set=getattr(opensmile.FeatureSet, FEATURE_SETS[feature_set]),
                           feature_level=opensmile.FeatureLevel.Functionals)


def compute_functionals(data: str | os.PathLike, out: str | os.PathLike, feature_set: str = "egemaps",
                        skip_bad: bool = False, progress: bool = True) -> dict:
    """Write the feature dir OUT; returns {utterances, dim, failed}. A bad utterance raises
    AudioError naming it (with skip_bad: listed in OUT/bad_utts and left out)."""
    src, out = DataDir(data), Path(out)
    if out.resolve() == src.path.resolve():
        raise InputError(f"the feature dir {out} must differ from the data dir {data}")
    smile = smile_extractor(feature_set)
    reader = UtteranceAudio(src)
    utts = src.utterances()
    failed: dict[str, str] = {}
    kept: list[str] = []
    names: list[str] = []
    meter = Progress(len(utts), f"{feature_set} {src.path}") if progress else None
    out.mkdir(parents=True, exist_ok=True)
    (out / "feats.scp").unlink(missing_ok=True)  # never a finished-looking dir from an earlier run
    writer = ArkScpWriter(out / "feats.ark", out / "feats.scp")
    try:
        for utt in utts:
            try:
                samples, rate = reader.read(utt)
                if samples.size == 0 or not np.isfinite(samples).all():
                    raise AudioError(reader.source_of(utt), "empty or not finite audio", utt)
                frame = smile.process_signal(samples, rate)
                vector = frame.to_numpy(dtype=np.float32)
                if vector.shape[0] != 1 or not np.isfinite(vector).all():
                    raise AudioError(reader.source_of(utt), "openSMILE gave no finite functionals", utt)
            except AudioError as e:
                if not skip_bad:
                    raise (e if e.utt else e.for_utterance(utt)) from None
                failed[utt] = f"{e.source}: {e.reason}"
            else:
                names = names or list(frame.columns)
                writer.write(utt, vector)
                kept.append(utt)
            if meter:
                meter.update()
        if not kept:
            raise InputError(f"{src.path}: no utterance gave functionals ({len(failed)} failed)")
        writer.close()
    except BaseException:
        writer.abort()
        raise
    if meter:
        meter.close()
    write_table(out / "utt2num_frames", {u: 1 for u in kept})
    if failed:
        write_table(out / "bad_utts", failed)
    else:
        (out / "bad_utts").unlink(missing_ok=True)
    copy_data_files(src, set(kept), out)
    atomic_write_text(out / CONFIG_NAME, yaml.safe_dump({"feature_set": feature_set, "opensmile": FEATURE_SETS[
        feature_set], "dim": len(names), "names": names}, sort_keys=False))
    return {"utterances": len(kept), "dim": len(names), "failed": failed}


def pool_features(feats: str | os.PathLike, out: str | os.PathLike, progress: bool = True) -> dict:
    """Mean and standard deviation over the frames of every utterance of the feature dir FEATS, as a
    functionals dir OUT ((1, 2D) rows; FEATS's label files copied); returns {utterances, dim}."""
    from jsertk.features.io import read_scp

    src, out = DataDir(feats), Path(out)
    if not src.has("feats.scp"):
        raise InputError(f"{feats}: no feats.scp (a feature dir of compute-fbank or dump-upstream)")
    if out.resolve() == src.path.resolve():
        raise InputError(f"the output dir {out} must differ from {feats}")
    out.mkdir(parents=True, exist_ok=True)
    (out / "feats.scp").unlink(missing_ok=True)
    kept, dim = [], 0
    meter = Progress(len(src.utt2spk()), f"pool {src.path}") if progress else None
    with ArkScpWriter(out / "feats.ark", out / "feats.scp") as writer:
        for utt, m in read_scp(src.path / "feats.scp"):
            x = np.asarray(m, dtype=np.float64)
            if x.shape[0] == 0 or not np.isfinite(x).all():
                raise InputError(f"{src.path}/feats.scp: '{utt}': no frames or non-finite values")
            row = np.concatenate([x.mean(0), x.std(0)]).astype(np.float32)[None]
            writer.write(utt, row)
            kept.append(utt)
            dim = row.shape[1]
            if meter:
                meter.update()
    if meter:
        meter.close()
    write_table(out / "utt2num_frames", {u: 1 for u in kept})
    copy_data_files(src, set(kept), out)
    atomic_write_text(out / CONFIG_NAME, yaml.safe_dump({"feature_set": "pooled", "from": str(src.path),
                                                         "statistics": "mean and std over frames", "dim": dim},
                                                        sort_keys=False))
    return {"utterances": len(kept), "dim": dim}
