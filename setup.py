"""Build step that setup.cfg cannot state: ship the checkout's configs and run scripts in the wheel.

The files stay where they are in the repository (``train/``, ``sample/``, the N-MNIST recording
the SpikeCLIP demo reconstructs); the build copies them, laid out as in a checkout, into the
package as ``spikevision/configs/`` (modes kept, so the ``.sh`` scripts stay executable).
``spikevision.resources.config_root()`` finds them there when no checkout is at hand.
Everything else (metadata, dependencies, entry points) is in setup.cfg.
"""

from __future__ import annotations

import os

from setuptools import setup
from setuptools.command.build_py import build_py

# checkout paths (folders or files) the commands need, copied to spikevision/configs/<same path>
SHIPPED = ("train", "sample", os.path.join("tests", "data", "nmnist_sample.bin"))
SHIPPED_DIR = os.path.join("spikevision", "configs")


class BuildPyWithConfigs(build_py):
    """``build_py`` plus a copy of :data:`SHIPPED` under ``<build_lib>/spikevision/configs/``.

    Editable installs skip the copy: they run from the checkout, where the files already are."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        here = os.path.dirname(os.path.abspath(__file__))
        for rel in SHIPPED:
            source, target = os.path.join(here, rel), os.path.join(self.build_lib, SHIPPED_DIR, rel)
            if not os.path.exists(source):
                raise FileNotFoundError(f"setup.py: {rel} is missing from the source tree (MANIFEST.in ships it)")
            if os.path.isdir(source):
                self.copy_tree(source, target, preserve_mode=True)
            else:
                self.mkpath(os.path.dirname(target))
                self.copy_file(source, target, preserve_mode=True)


setup(cmdclass={"build_py": BuildPyWithConfigs})
