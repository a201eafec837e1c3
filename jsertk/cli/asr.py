"""The ASR commands: train-tokenizer, train, decode-asr, score-wer."""
from __future__ import annotations

import typer

from jsertk.cli import decode, tokenizer, train


def register(app: typer.Typer) -> None:
    tokenizer.register(app)
    train.register(app)
    decode.register(app)
