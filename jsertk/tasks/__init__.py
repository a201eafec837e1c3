"""Tasks: build a model from its config and own the files of an experiment dir (config.yaml,
tokenizer, class and speaker lists, weights); the layer between the networks and training or
decoding."""
