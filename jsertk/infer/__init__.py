"""Decoding and inference: ASR decoding, emotion prediction, packed models (`Recognizer`)."""
from __future__ import annotations


def __getattr__(name: str):
    if name == "Recognizer":  # imported on use, so `import jsertk.infer.<module>` stays light
        from jsertk.infer.recognizer import Recognizer

        return Recognizer
    raise AttributeError(f"module 'jsertk.infer' has no attribute '{name}'")
