"""Scores: word/character error rates (wer.py), emotion recognition metrics (ser.py)."""
