"""`jsertk train-lm`: a token n-gram language model (ARPA) from the transcripts of data dirs."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer


def train_lm(
    dirs: List[Path] = typer.Argument(..., metavar="DATA...",
                                      help="Data dirs whose `text` files are the training text."),
    tokenizer: Path = typer.Option(Path("data/token_list/char"), help="Tokenizer dir (jsertk train-tokenizer)."),
    order: int = typer.Option(6, help="n-gram order (in tokens)."),
    out: Path = typer.Option(Path("exp/lm"), help="Output dir: lm.arpa and lm.json."),
    valid: Optional[Path] = typer.Option(None, help="Data dir whose `text` the perplexity is reported on."),
) -> None:
    """Interpolated modified Kneser-Ney n-gram over tokenizer ids; <s>/</s> are the tokenizer's <sos/eos>."""
    from jsertk.data import DataDir
    from jsertk.lm.build import train_token_lm
    from jsertk.text import Tokenizer

    tok = Tokenizer(tokenizer)
    texts: dict[str, str] = {}
    for d in dirs:
        for utt, text in DataDir(d).load("text").items():
            texts[f"{d}:{utt}" if utt in texts else utt] = text
    valid_texts = DataDir(valid).load("text") if valid is not None else None
    summary, unknown = train_token_lm(tok, texts, order, out, valid_texts, [str(d) for d in dirs])
    from jsertk.utils import provenance

    provenance.record(out)
    if unknown.tokens:
        typer.echo("warning: " + unknown.summary("training text"), err=True)
    t = summary["training"]
    counts = " ".join(f"{n}:{c}" for n, c in summary["ngrams"].items())
    msg = (f"{out}/lm.arpa: order {order}, {t['sentences']} sentences, {t['tokens']} tokens "
           f"({t['unknown_tokens']} unknown), n-grams {counts}, {summary['seconds']:.2f} s")
    if "valid" in summary:
        msg += f"; perplexity on {valid}: {summary['valid']['perplexity']:.3f}"
    typer.echo(msg)


def register(app: typer.Typer) -> None:
    app.command("train-lm")(train_lm)
