"""Corpus preparation: one module per corpus, each reading the corpus as its owners distribute it
and writing one Kaldi data dir for the whole corpus (labels under readable names, folds as data)."""
