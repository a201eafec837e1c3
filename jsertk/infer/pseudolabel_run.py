"""The whole pseudo-labelling flow of `jsertk pseudolabel`: check the inputs, score the unlabelled
features (in process or as a job array), select labels, and write the pseudo-labelled data dir."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jsertk.infer.pseudolabel import (
    SelectOptions,
    check_heads,
    select,
    summarize,
    warn_empty_classes,
    write_pseudolabels,
)
from jsertk.infer.pseudolabel_score import (
    PseudoLabelError,
    check_feature_dir,
    emotion_heads_of,
    load_jser,
    progress_printer,
    score_dir,
    score_parallel,
)
from jsertk.tasks.jser_labels import CLASSES_FILE, read_list


@dataclass
class PseudoLabelRun:
    model: Path  # experiment dir of a jser model
    data: Path  # feature dir to label
    out: Path | None = None  # output data dir (default data/<data name>_pl)
    labels_from: Path | None = None  # data dir whose utterance files are carried over
    ref: Path | None = None  # true labels, for scoring the pseudo labels (default LABELS_FROM/.ref)
    checkpoint: str = "model.pth"
    nj: int = 1
    backend: str = "local"
    max_frames_per_batch: int = 20000
    device: str = "cpu"
    threads: int = 0

    def resolved(self) -> "PseudoLabelRun":
        """The run with its defaults filled in."""
        data = Path(self.data)
        labels_from = self.labels_from or (data if (data / "utt2spk").is_file() else Path("data") / data.name)
        return PseudoLabelRun(Path(self.model), data, self.out or Path("data") / f"{data.name}_pl", labels_from,
                              self.ref or labels_from / ".ref", self.checkpoint, self.nj, self.backend,
                              self.max_frames_per_batch, self.device, self.threads)


def run_pseudolabel(run: PseudoLabelRun, opts: SelectOptions) -> tuple[dict, list[str]]:
    """Pseudo-label `run.data` as `opts` selects; writes `run.out` (replaced only once complete).
    Returns (the pseudolabel.json summary, utterances too short for the encoder)."""
    run = run.resolved()
    opts.check()
    check_feature_dir(run.data)
    if not (run.model / CLASSES_FILE).is_file():
        raise PseudoLabelError(f"{run.model / CLASSES_FILE}: not found; {run.model} is not a trained jser "
                               "experiment dir")
    if run.nj < 1:
        raise PseudoLabelError(f"--nj must be >= 1, got {run.nj}")
    if not (run.labels_from / "utt2spk").is_file():
        raise PseudoLabelError(f"{run.labels_from / 'utt2spk'}: not found; give the data dir of these utterances "
                               "with --labels-from")
    heads = emotion_heads_of(run.model)
    if heads is not None:  # before scoring; the scores are checked again after it
        check_heads(heads, opts.agreement, f"heads in {run.model / 'config.yaml'}")
    classes = read_list(run.model / CLASSES_FILE)
    tokenizer = None
    if run.nj == 1:
        import torch

        if run.threads:
            torch.set_num_threads(run.threads)
        net, tokenizer = load_jser(run.model, run.checkpoint, run.device)
        scores, too_short = score_dir(net, tokenizer, run.data, run.max_frames_per_batch, run.device,
                                      progress_printer("pseudolabel"))
    else:
        work = run.out.with_name(run.out.name + ".work")
        scores, too_short = score_parallel(run.model, run.checkpoint, run.data, work, run.nj, run.backend,
                                           run.max_frames_per_batch, run.device, run.threads)
    sel = select(scores, classes, opts)
    normalize = _ref_normalizer(run.model, tokenizer) if (run.ref / "text").is_file() else None
    summary = summarize(sel, classes, opts, too_short, run.ref if run.ref.is_dir() else None, normalize,
                        extra={"model": str(run.model), "checkpoint": run.checkpoint, "data": str(run.data),
                               "labels_from": str(run.labels_from), "ref": str(run.ref), "nj": run.nj,
                               "backend": run.backend, "max_frames_per_batch": run.max_frames_per_batch,
                               "device": run.device, "threads": run.threads})
    write_pseudolabels(run.out, run.data, run.labels_from, sel, summary)
    warn_empty_classes(summary)
    return summary, too_short


def _ref_normalizer(model: Path, tokenizer):
    """The model tokenizer's text normalisation, so references compare with hypotheses as trained."""
    if tokenizer is None:  # scored by jobs: read the tokenizer (small) without the weights
        from jsertk.tasks.experiment import load_resources

        tokenizer = load_resources(model)[1].tokenizer
    return getattr(tokenizer, "normalize", None)
