"""`jsertk train-tokenizer`: a sentencepiece tokenizer from the transcripts of data dirs."""
from __future__ import annotations

from pathlib import Path
from typing import List

import typer


def train_tokenizer(
    dirs: List[Path] = typer.Argument(..., metavar="DATA...",
                                      help="Data dirs whose `text` files are the training text."),
    outdir: Path = typer.Option(Path("data/token_list/bpe100"), help="Tokenizer directory to write."),
    model_type: str = typer.Option("bpe", help="Sentencepiece model: bpe, unigram or char."),
    vocab_size: int = typer.Option(100, help="Number of sentencepiece pieces incl. <unk> (an upper limit for "
                                              "bpe/unigram; ignored for char)."),
    lowercase: bool = typer.Option(True, "--lowercase/--keep-case", help="Lowercase transcripts."),
    remove_punct: bool = typer.Option(True, "--remove-punct/--keep-punct", help="Replace punctuation by spaces."),
    character_coverage: float = typer.Option(1.0, help="Share of characters sentencepiece must cover."),
) -> None:
    """Train a tokenizer; writes spm.model, tokens.txt (<blank>=0, <unk>=1, <sos/eos>=last) and tokenizer.yaml."""
    from jsertk.data import DataDir
    from jsertk.text import TextNormalizer
    from jsertk.text import train_tokenizer as train

    texts: list[str] = []
    for d in dirs:
        texts.extend(DataDir(d).load("text").values())
    tok = train(texts, outdir, model_type=model_type, vocab_size=vocab_size,
                normalizer=TextNormalizer(lowercase=lowercase, remove_punct=remove_punct),
                character_coverage=character_coverage)
    typer.echo(f"{outdir}: {model_type} tokenizer, {tok.vocab_size} tokens from {len(texts)} transcripts "
               f"(<blank>=0, <unk>=1, <sos/eos>={tok.sos_eos_id})")


def register(app: typer.Typer) -> None:
    app.command("train-tokenizer")(train_tokenizer)
