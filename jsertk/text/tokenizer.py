"""Sentencepiece tokenizer (bpe, unigram or char) with a fixed token-id layout.

A tokenizer directory holds:

- `spm.model`      the sentencepiece model, trained with `<unk>` as its piece 0 and no bos/eos/pad;
- `tokens.txt`     one token per line; the line number (from 0) is the token id the models use;
- `tokenizer.yaml` model type, vocabulary size and the text normalisation options.

Token ids (the layout ESPnet uses):

- 0             `<blank>`   the CTC blank, never produced by sentencepiece;
- 1             `<unk>`     sentencepiece piece 0: any character not seen in the training text;
- 2 .. V-2      the sentencepiece pieces 1 .. V-3 (id = sentencepiece id + 1);
- V-1 (last)    `<sos/eos>` start and end of sentence for the attention decoder.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

from jsertk.text.normalize import TextNormalizer
from jsertk.utils.atomic import atomic_dir
from jsertk.utils.errors import JsertkError

BLANK, UNK, SOS_EOS = "<blank>", "<unk>", "<sos/eos>"
BLANK_ID, UNK_ID = 0, 1
MODEL_TYPES = ("bpe", "unigram", "char")


class TokenizerError(JsertkError):
    """A tokenizer dir that is missing or inconsistent, or a tokenizer that cannot be trained as asked."""


@dataclass
class UnknownCounter:
    """How many `<unk>` tokens encoding produced, and in which utterances (for the report)."""

    tokens: int = 0
    utterances: list[str] = field(default_factory=list)

    def add(self, utt: str, n: int) -> None:
        if n:
            self.tokens += n
            self.utterances.append(utt)

    def summary(self, what: str) -> str:
        shown = ", ".join(self.utterances[:5]) + (" ..." if len(self.utterances) > 5 else "")
        return (f"{what}: {self.tokens} tokens missing from the vocabulary were mapped to {UNK} "
                f"in {len(self.utterances)} utterances ({shown})")


class Tokenizer:
    """Text <-> token ids with the layout described in the module docstring."""

    def __init__(self, directory: str | os.PathLike):
        import sentencepiece as spm

        self.dir = Path(directory)
        for name in ("spm.model", "tokens.txt", "tokenizer.yaml"):
            if not (self.dir / name).is_file():
                raise TokenizerError(f"{self.dir / name}: file not found (train it with `jsertk train-tokenizer`)")
        self.meta = yaml.safe_load((self.dir / "tokenizer.yaml").read_text(encoding="utf-8")) or {}
        self.normalize = TextNormalizer.from_dict(self.meta.get("normalize", {}))
        self.sp = spm.SentencePieceProcessor(model_file=str(self.dir / "spm.model"))
        self.tokens = (self.dir / "tokens.txt").read_text(encoding="utf-8").split("\n")[:-1]
        expected = token_list(self.sp)
        if self.tokens != expected:
            raise TokenizerError(f"{self.dir / 'tokens.txt'}: does not match {self.dir / 'spm.model'} "
                                 f"({len(self.tokens)} vs {len(expected)} tokens)")

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    @property
    def sos_eos_id(self) -> int:
        return len(self.tokens) - 1

    def encode(self, text: str, counter: UnknownCounter | None = None, utt: str = "") -> list[int]:
        """Normalise `text` and return its token ids (no blank, no sos/eos)."""
        ids = [i + 1 for i in self.sp.encode(self.normalize(text))]
        if counter is not None:
            counter.add(utt, ids.count(UNK_ID))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Token ids back to text; blank and sos/eos are dropped, `<unk>` shows as ' ⁇ '."""
        eos = self.sos_eos_id
        pieces = [int(i) - 1 for i in ids if int(i) not in (BLANK_ID, eos)]
        return self.sp.decode(pieces)

    def __repr__(self) -> str:
        return f"Tokenizer('{self.dir}', {self.meta.get('model_type')}, {self.vocab_size} tokens)"


def token_list(sp) -> list[str]:
    pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    pieces[0] = UNK
    return [BLANK, *pieces, SOS_EOS]


def train_tokenizer(texts: Iterable[str], outdir: str | os.PathLike, model_type: str = "bpe",
                    vocab_size: int = 100, normalizer: TextNormalizer | None = None,
                    character_coverage: float = 1.0, max_sentences: int = 1_000_000) -> Tokenizer:
    """Train sentencepiece on `texts` (normalised first) and write the tokenizer dir atomically.

    `vocab_size` counts sentencepiece pieces including `<unk>`; the model vocabulary adds
    `<blank>` and `<sos/eos>`. For bpe/unigram it is an upper limit (a small text may give fewer
    pieces); for char it is ignored: every character of the text becomes a token.
    """
    import sentencepiece as spm

    if model_type not in MODEL_TYPES:
        raise TokenizerError(f"model type '{model_type}' is not one of {', '.join(MODEL_TYPES)}")
    normalizer = normalizer or TextNormalizer()
    lines = [t for t in (normalizer(x) for x in texts) if t]
    if not lines:
        raise TokenizerError("no text to train the tokenizer on (all transcripts empty after normalisation)")
    chars = {c for line in lines for c in line.replace(" ", "▁")}
    if model_type != "char" and vocab_size < len(chars) + 1:
        raise TokenizerError(f"vocab size {vocab_size} is smaller than the {len(chars)} distinct characters of the "
                             f"text plus {UNK}: use --vocab-size {len(chars) + 1} or more, or --model-type char")
    outdir = Path(outdir)
    with atomic_dir(outdir) as tmp, tempfile.TemporaryDirectory() as work:
        tmp.chmod(0o755)
        corpus = Path(work) / "text.txt"
        corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
        spm.SentencePieceTrainer.train(
            input=str(corpus), model_prefix=str(tmp / "spm"), model_type=model_type,
            vocab_size=len(chars) + 1 if model_type == "char" else vocab_size, character_coverage=character_coverage,
            unk_id=0, bos_id=-1, eos_id=-1, pad_id=-1, hard_vocab_limit=False, use_all_vocab=model_type == "char",
            input_sentence_size=max_sentences, shuffle_input_sentence=True, num_threads=1, minloglevel=2)
        (tmp / "spm.vocab").unlink(missing_ok=True)
        sp = spm.SentencePieceProcessor(model_file=str(tmp / "spm.model"))
        tokens = token_list(sp)
        (tmp / "tokens.txt").write_text("\n".join(tokens) + "\n", encoding="utf-8")
        meta = {"model_type": model_type, "vocab_size": len(tokens), "requested_pieces": vocab_size,
                "training_lines": len(lines), "normalize": normalizer.to_dict(),
                "ids": {BLANK: BLANK_ID, UNK: UNK_ID, SOS_EOS: len(tokens) - 1}}
        (tmp / "tokenizer.yaml").write_text(yaml.safe_dump(meta, sort_keys=False, allow_unicode=True),
                                            encoding="utf-8")
    return Tokenizer(outdir)
