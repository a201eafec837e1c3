"""Models: frontend (CMVN, SpecAugment), ESPnet encoders/decoders, the ASR model, the joint ASR-SER
model and its parts, and the registry through which the trainer builds a model from a config."""
