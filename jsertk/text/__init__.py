"""Transcripts: normalisation and the sentencepiece tokenizer."""
from jsertk.text.normalize import TextNormalizer
from jsertk.text.tokenizer import (
                                   BLANK,
                                   BLANK_ID,
                                   SOS_EOS,
                                   UNK,
                                   UNK_ID,
                                   Tokenizer,
                                   TokenizerError,
                                   UnknownCounter,
                                   train_tokenizer,
)

__all__ = ["BLANK", "BLANK_ID", "SOS_EOS", "UNK", "UNK_ID", "TextNormalizer", "Tokenizer", "TokenizerError",
           "UnknownCounter", "train_tokenizer"]
