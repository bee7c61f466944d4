"""Shared console entry for the command-line tools: our errors print as one line, exit status 2;
``key=value`` override arguments that are not ``key=value`` are usage errors (status 2); the
library's own messages (the ``spikevision`` logger: INFO on stdout, warnings on stderr) are shown."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from spikevision.errors import SpikevisionError


def console_main(run: Callable[[Sequence[str] | None], Any], argv: Sequence[str] | None = None,
                 expected: tuple[type[BaseException], ...] = ()) -> None:
    """Call ``run(argv)``; a :class:`SpikevisionError` (or one of ``expected``) becomes
    ``error: <message>`` on stderr and ``SystemExit(2)`` instead of a traceback."""
    show_library_messages()
    try:
        run(argv)
    except (SpikevisionError, *expected) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


class _ConsoleHandler(logging.StreamHandler):
    """Plain ``message`` lines on the current ``sys.stdout`` (below WARNING) or ``sys.stderr``,
    looked up at each record, so a replaced stream (pytest's capture) is honoured."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout if self._record_level < logging.WARNING else sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # StreamHandler.__init__ sets it; the property decides
        pass

    def emit(self, record: logging.LogRecord) -> None:
        self._record_level = record.levelno
        super().emit(record)

    _record_level = logging.INFO


def show_library_messages(level: int = logging.INFO) -> None:
    """Show records of the ``spikevision`` logger (library code logs, it does not print) as
    plain lines: INFO on stdout, warnings and errors on stderr. No-op if it has a handler."""
    logger = logging.getLogger("spikevision")
    if logger.handlers:
        return
    logger.addHandler(_ConsoleHandler())
    logger.setLevel(level)


def parse_with_overrides(p: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """``p.parse_intermixed_args(argv)`` for a parser with a positional ``overrides``
    (``nargs="*"``): options and ``key=value`` overrides in any order; an override without ``=``
    (e.g. a misspelt flag) is a usage error (argparse's message, status 2)."""
    opt = p.parse_intermixed_args(argv)
    bad = [o for o in opt.overrides if "=" not in o]
    if bad:
        p.error(f"unrecognized arguments: {' '.join(bad)} (overrides look like dotted.key=value)")
    return opt


_OVERRIDE = re.compile(r"[A-Za-z_][\w.\-]*=")  # dotted.key=value


def split_overrides(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(config sources, key=value overrides)`` of arguments that mix both (a ``nargs="+"``
    ``--config`` swallows the overrides after it); an existing file named ``a=b`` is a source."""
    overrides = [a for a in args if _OVERRIDE.match(a) and not Path(a).is_file()]
    return [a for a in args if a not in overrides], overrides
