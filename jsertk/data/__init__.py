"""The Kaldi data directory: read, write, validate, fix, split, subset, combine, info."""
from jsertk.data.combine import combine
from jsertk.data.datadir import DataDir, spk2utt_from_utt2spk, write_filtered
from jsertk.data.fix import FixReport, fix
from jsertk.data.info import info, utt_durations
from jsertk.data.problems import DataDirError, Problem
from jsertk.data.schema import FILES, Segment
from jsertk.data.split import split, subset
from jsertk.data.table import read_table, write_table
from jsertk.data.validate import validate

__all__ = ["DataDir", "DataDirError", "FILES", "FixReport", "Problem", "Segment", "combine", "fix", "info",
           "read_table", "spk2utt_from_utt2spk", "split", "subset", "utt_durations", "validate", "write_filtered",
           "write_table"]
