"""Small helpers shared by every package: atomic file writing, logging."""
