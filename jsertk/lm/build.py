"""Train a token n-gram LM from transcripts with a tokenizer: `lm.arpa` and `lm.json` in one dir."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Mapping

from jsertk.lm.arpa import read_arpa, write_arpa
from jsertk.lm.kneser_ney import train_kneser_ney
from jsertk.lm.token_lm import TokenNgramLM
from jsertk.text.tokenizer import BLANK, SOS_EOS, Tokenizer, UnknownCounter
from jsertk.utils.atomic import atomic_write_text
from jsertk.utils.errors import InputError

METHOD = "interpolated modified Kneser-Ney"


def encode_texts(tokenizer: Tokenizer, texts: Mapping[str, str], counter: UnknownCounter) -> list[list[int]]:
    """Token ids of every non-empty transcript (utterance id -> text), unknown characters counted."""
    out = []
    for utt, text in texts.items():
        ids = tokenizer.encode(text, counter, utt)
        if ids:
            out.append(ids)
    return out


def train_token_lm(tokenizer: Tokenizer, texts: Mapping[str, str], order: int, outdir: str | os.PathLike,
                   valid_texts: Mapping[str, str] | None = None,
                   sources: list[str] | None = None) -> tuple[dict, UnknownCounter]:
    """Write OUTDIR/lm.arpa and OUTDIR/lm.json (each atomically, lm.json last); returns the summary
    (what lm.json holds) and the count of training tokens mapped to `<unk>`."""
    t0 = time.perf_counter()
    outdir = Path(outdir)
    unknown = UnknownCounter()
    sentences = encode_texts(tokenizer, texts, unknown)
    if not sentences:
        raise InputError("no training text: every transcript is empty after normalisation")
    tokens = tokenizer.tokens
    vocab = [t for t in tokens if t not in (BLANK, SOS_EOS)]
    model = train_kneser_ney(([tokens[i] for i in s] for s in sentences), vocab, order)
    write_arpa(model, outdir / "lm.arpa")
    summary = {
        "method": METHOD, "order": order, "tokenizer": str(tokenizer.dir.resolve()),
        "vocab_size": tokenizer.vocab_size, "sources": sources or [],
        "training": {"sentences": len(sentences), "tokens": sum(map(len, sentences)),
                     "unknown_tokens": unknown.tokens, "empty_transcripts": len(texts) - len(sentences)},
        "ngrams": {str(n): c for n, c in enumerate(model.ngram_counts(), 1)},
        "discounts": {str(n): [round(d, 4) for d in ds] for n, ds in enumerate(model.discounts, 1)},
    }
    if valid_texts is not None:
        lm = TokenNgramLM(read_arpa(outdir / "lm.arpa"), tokens, tokenizer.sos_eos_id)
        valid_unknown = UnknownCounter()
        valid = encode_texts(tokenizer, valid_texts, valid_unknown)
        summary["valid"] = {"sentences": len(valid), "tokens": sum(map(len, valid)),
                            "unknown_tokens": valid_unknown.tokens, "perplexity": round(lm.perplexity(valid), 4)}
    summary["seconds"] = round(time.perf_counter() - t0, 3)
    atomic_write_text(outdir / "lm.json", json.dumps(summary, indent=2) + "\n")
    return summary, unknown
