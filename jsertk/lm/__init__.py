"""Token n-gram language models: Kneser-Ney training, ARPA files, shallow fusion in decoding."""
from jsertk.lm.arpa import ArpaError, ArpaModel, read_arpa, write_arpa
from jsertk.lm.kneser_ney import BOS, EOS, NgramModel, train_kneser_ney
from jsertk.lm.token_lm import TokenNgramLM

__all__ = ["ArpaError", "ArpaModel", "read_arpa", "write_arpa", "BOS", "EOS", "NgramModel", "train_kneser_ney",
           "TokenNgramLM"]
