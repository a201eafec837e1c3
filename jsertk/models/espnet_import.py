"""Import ESPnet's building blocks quietly.

ESPnet's attention module prints a line to stdout when flash-attn is absent, which would end up
in decoding output written to stdout; importing it once here with stdout captured avoids that.
"""
from __future__ import annotations

import contextlib
import io

with contextlib.redirect_stdout(io.StringIO()):
    import espnet.nets.pytorch_backend.transformer.attention  # noqa: F401
