"""Entry point of the `jsertk` command.

Command modules register themselves below: a group (`jsertk data ...`) with `app.add_typer`,
a single command (`jsertk compute-fbank ...`) through the module's `register(app)`.
"""
from __future__ import annotations

import os
import sys
import traceback
from typing import Optional

import typer

from jsertk import __version__
from jsertk.cli import asr as asr_cli
from jsertk.cli import baseline as baseline_cli
from jsertk.cli import data as data_cli
from jsertk.cli import features as features_cli
from jsertk.cli import launch as launch_cli
from jsertk.cli import lm as lm_cli
from jsertk.cli import prepare as prepare_cli
from jsertk.cli import pseudolabel as pseudolabel_cli
from jsertk.cli import score as score_cli
from jsertk.cli import ser as ser_cli
from jsertk.cli import synth as synth_cli
from jsertk.data.problems import DataDirError, format_problems
from jsertk.utils.errors import JsertkError

DEBUG_ENV = "JSERTK_DEBUG"

app = typer.Typer(
    name="jsertk",
    help="Joint speech recognition and speech emotion recognition toolkit.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(data_cli.app, name="data")
app.add_typer(prepare_cli.app, name="prepare")
synth_cli.register(app)
asr_cli.register(app)
score_cli.register(app)
features_cli.register(app)
launch_cli.register(app)
ser_cli.register(app)
lm_cli.register(app)
pseudolabel_cli.register(app)
baseline_cli.register(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"jsertk {__version__}")
        raise typer.Exit()


def _debug(value: bool) -> None:
    if value:
        os.environ[DEBUG_ENV] = "1"


@app.callback()
def _root(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True,
                                           help="Print the version and exit."),
    debug: bool = typer.Option(False, "--debug", callback=_debug, is_eager=True,
                               help=f"Print the traceback of every error, also of known user errors "
                                    f"(same as {DEBUG_ENV}=1)."),
) -> None:
    """Joint speech recognition and speech emotion recognition toolkit."""


def _debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def main() -> None:
    """Run the CLI. A known user error (bad data, bad config, a missing or damaged file: a
    `JsertkError`) prints as one clear message (data errors as `file:line: reason` lines) and exits
    with code 1. Anything else is a bug: it keeps its traceback. With --debug or JSERTK_DEBUG=1,
    every error prints its traceback."""
    try:
        app()
    except JsertkError as e:
        if _debugging():
            traceback.print_exc()
        message = format_problems(e.problems) if isinstance(e, DataDirError) else f"error: {e}"
        print(message, file=sys.stderr)
        sys.exit(1)
    except OSError as e:  # a full disk or a read-only output outside the atomic writers: not a bug either
        from jsertk.utils.atomic import STORAGE_ERRNOS

        if e.errno not in STORAGE_ERRNOS or _debugging():
            raise
        print(f"error: {e.filename or 'output'}: {e.strerror}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
