"""The classical baseline commands: compute-functionals (openSMILE) and baseline-svm."""
from __future__ import annotations

from pathlib import Path

import typer


def compute_functionals(
    data: Path = typer.Argument(..., help="Data dir (wav.scp, utt2spk; its label files are copied)."),
    out: Path = typer.Argument(..., help="Feature dir to write: one (1, D) row per utterance in feats.ark/scp."),
    feature_set: str = typer.Option("egemaps", help="egemaps (eGeMAPSv02, 88 functionals) or compare "
                                                    "(ComParE_2016, 6373)."),
    skip_bad: bool = typer.Option(False, help="Leave out (and list in OUT/bad_utts) utterances that cannot be read."),
    progress: bool = typer.Option(True, help="Show progress."),
) -> None:
    """openSMILE functionals of every utterance (needs `pip install opensmile`)."""
    from jsertk.features.functionals import compute_functionals as run

    result = run(data, out, feature_set, skip_bad, progress)
    if result["failed"]:
        typer.echo(f"warning: {len(result['failed'])} utterances failed (listed in {out}/bad_utts)", err=True)
    typer.echo(f"{out}: {result['utterances']} utterances, {result['dim']} {feature_set} functionals each")


def baseline_svm(
    train: Path = typer.Option(..., help="Functionals feature dir of the training set (with utt2emo)."),
    dev: Path = typer.Option(..., help="Functionals of the dev set: C is chosen on its UA."),
    test: Path = typer.Option(..., help="Functionals of the test set, labelled here."),
    out: Path = typer.Option(..., help="Output: hyp.emo, classes.txt, decode.json, baseline.json (score it "
                                       "with score-ser or score-folds)."),
    speaker_norm: bool = typer.Option(False, help="Standardise each speaker's functionals by that speaker's own "
                                                  "statistics first (test speakers: transductive)."),
    seed: int = typer.Option(0, help="Seed of the SVM solver."),
    classifier: str = typer.Option("svm", help="svm (linear SVM, C in 1e-5..1) or ridge (ridge classifier, alpha "
                                                "in 1..1e5: the linear probe of pooled upstream states)."),
) -> None:
    """A linear SVM (or ridge classifier) over utterance functionals: C (alpha) chosen on dev UA,
    refitted on train + dev; baseline.json records it under "C"."""
    from jsertk.train.baseline import svm_baseline

    info = svm_baseline(train, dev, test, out, speaker_norm, seed=seed, classifier=classifier)
    from jsertk.utils import provenance

    provenance.record(out)
    typer.echo(f"{out}: C {info['C']} (dev UA {100 * info['dev_UA_by_C'][str(info['C'])]:.1f}%)")


def pool_feats(
    feats: Path = typer.Argument(..., help="Feature dir (compute-fbank or dump-upstream; its label files are copied)."),
    out: Path = typer.Argument(..., help="Functionals dir to write: one (1, 2D) row per utterance."),
    progress: bool = typer.Option(True, help="Show progress."),
) -> None:
    """Mean and standard deviation over each utterance's frames: functionals of frame features, e.g.
    the linear probe of dumped upstream states (`baseline-svm --classifier ridge`)."""
    from jsertk.features.functionals import pool_features

    result = pool_features(feats, out, progress)
    typer.echo(f"{out}: {result['utterances']} utterances, {result['dim']} pooled values each")


def register(app: typer.Typer) -> None:
    app.command("compute-functionals")(compute_functionals)
    app.command("pool-feats")(pool_feats)
    app.command("baseline-svm")(baseline_svm)
