"""What training and decoding both read: the dataset over feature dirs and their label files,
batch collation and the length-bucketed samplers."""
