"""Models: frontend (CMVN, SpecAugment), ESPnet encoders/decoders, ASR model, and the registry
through which the trainer builds them from a config."""
