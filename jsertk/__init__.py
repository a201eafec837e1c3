"""jsertk: joint speech recognition (ASR) and speech emotion recognition (SER) toolkit."""

__version__ = "0.1.0"
