"""The embedded synthetic emotional speech corpus (`jsertk synth-corpus`), made with espeak-ng.

voices (speakers, gender by measured F0), prosody (emotion rules), lexicon and sentences
(transcripts), audio (warp, level, noise), plan (sets and per-utterance choices), render
(synthesis workers), corpus (the whole run, resumable), sets (Kaldi data dirs), f0 and report
(measurements of the generated audio).
"""
from jsertk.data.synth.plan import SETS, SIZES, Options, make_options

__all__ = ["SETS", "SIZES", "Options", "generate", "make_options"]


def generate(*args, **kwargs):
    """See jsertk.data.synth.corpus.generate."""
    from jsertk.data.synth.corpus import generate as _generate

    return _generate(*args, **kwargs)
