"""``python -m spikevision COMMAND ...``: the ``spikevision`` command (see :mod:`spikevision.cli.main_command`)."""

from spikevision.cli.main_command import main

if __name__ == "__main__":
    main()
