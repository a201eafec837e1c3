"""Scores: word/character error rates (and, later, emotion metrics)."""
