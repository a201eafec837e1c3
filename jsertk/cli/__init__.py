"""The `jsertk` command line: one module per command group."""
