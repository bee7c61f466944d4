"""Shared console entry for the command-line tools: our errors print as one line, exit status 2;
``key=value`` override arguments that are not ``key=value`` are usage errors (status 2)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from spikevision.errors import SpikevisionError


def console_main(run: Callable[[Sequence[str] | None], Any], argv: Sequence[str] | None = None,
                 expected: tuple[type[BaseException], ...] = ()) -> None:
    """Call ``run(argv)``; a :class:`SpikevisionError` (or one of ``expected``) becomes
    ``error: <message>`` on stderr and ``SystemExit(2)`` instead of a traceback."""
    try:
        run(argv)
    except (SpikevisionError, *expected) as err:
        print(f"error: {err}", file=sys.stderr)
        raise SystemExit(2) from None


def parse_with_overrides(p: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """``p.parse_intermixed_args(argv)`` for a parser with a positional ``overrides``
    (``nargs="*"``): options and ``key=value`` overrides in any order; an override without ``=``
    (e.g. a misspelt flag) is a usage error (argparse's message, status 2)."""
    opt = p.parse_intermixed_args(argv)
    bad = [o for o in opt.overrides if "=" not in o]
    if bad:
        p.error(f"unrecognized arguments: {' '.join(bad)} (overrides look like dotted.key=value)")
    return opt
