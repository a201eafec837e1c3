"""`jsertk compute-fbank` and `jsertk dump-upstream` as a library call: one job of a split data dir
(or the whole dir), and for the whole dir the merge into a complete feature dir."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jsertk.data.datadir import DataDir
from jsertk.features.dump import MergeResult, merge_parts
from jsertk.features.extract import ExtractResult, check_job, extract_part, job_source, part_dir
from jsertk.features.fbank import FbankConfig
from jsertk.utils.errors import InputError


@dataclass
class FeatureJob:
    source: Path  # the data dir the job read (DATA or DATA/split<N>/k)
    part: Path  # where its feats.scp went
    result: ExtractResult
    merged: MergeResult | None  # the whole-dir run's merge; None for one job of N


def compute_features(data: Path, out: Path, config: FbankConfig, job: int | None = None, nj: int | None = None,
                      split_by: str = "speaker", resample: bool = False, skip_bad: bool = False,
                      max_segment_overshoot: float = 0.5, progress: bool = True) -> FeatureJob:
    """Features of DATA (job None) into the feature dir OUT, or of DATA/split<nj>/<job> into OUT's part
    of that job (then `merge_parts` joins the jobs). `config`: an FbankConfig, or any config with
    its interface (jsertk.infer.dump_upstream.UpstreamDumpConfig)."""
    if (job is None) != (nj is None):
        raise InputError("give --job and --nj together (or neither)")
    single = job is None
    job, nj = (1, 1) if single else (job, nj)
    check_job(job, nj, split_by)
    src_path = job_source(data, job, nj, split_by)
    if not src_path.is_dir():
        by = "" if split_by == "speaker" else f" --by {split_by}"
        raise InputError(f"{src_path} not found: split the data dir first with `jsertk data split {data} {nj}{by}`")
    if Path(out).resolve() == Path(data).resolve():
        raise InputError(f"the feature dir {out} must differ from the data dir {data}")
    part = part_dir(out, job, nj, split_by)
    # The merged scp of an earlier run points into the ark this job is about to replace.
    (Path(out) / "feats.scp").unlink(missing_ok=True)
    result = extract_part(DataDir(src_path), part, config, resample_audio=resample, skip_bad=skip_bad,
                          max_overshoot=max_segment_overshoot, progress=progress)
    merged = merge_parts(data, out, 1, split_by) if single else None
    return FeatureJob(src_path, part, result, merged)
