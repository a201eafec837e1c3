"""Acoustic features: fbank, CMVN, augmentation; ark/scp I/O through kaldiio."""
