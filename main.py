"""Train or test a spikevision model from YAML configs: ``python main.py --base cfg.yaml``.

All logic lives in :mod:`spikevision.cli.train`; see ``python main.py --help``.
"""

from spikevision.cli.train import main

if __name__ == "__main__":
    main()
