"""Package metadata and commands: declared dependencies match the imports, the `spikevision`
command dispatches to every tool, and every command has its own --help and exit status 2 on
usage errors."""

from __future__ import annotations

import ast
import configparser
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
import torch
from omegaconf import OmegaConf
from packaging.requirements import Requirement

from spikevision.cli import main_command
from spikevision.errors import SpikevisionError

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src" / "spikevision"

# Declared in install_requires although no module of ours imports them: they are needed at run
# time by something we use.
RUNTIME_ONLY = {
    # Lightning's TensorBoardLogger (a default logger of every training run) writes through it
    "tensorboard",
    # imageio's ffmpeg plugin finds its ffmpeg binary through it (mp4/avi/mov read and write)
    "imageio-ffmpeg",
}
# Pinned in requirements.txt without being declared: pulled in by a declared package and pinned
# so that it matches the pinned torch.
PINNED_ONLY = {
    "torchaudio",  # spikingjelly 2.0 requires it; it must be the build of the pinned torch
}


def canonical(name: str) -> str:
    """PEP 503 normalised distribution name (``open_clip_torch`` == ``open-clip-torch``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    return cfg


def requirement_list(text: str) -> list[Requirement]:
    return [Requirement(line.strip()) for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")]


def install_requires() -> dict[str, Requirement]:
    reqs = requirement_list(setup_cfg()["options"]["install_requires"])
    return {canonical(r.name): r for r in reqs}


def extras() -> dict[str, dict[str, Requirement]]:
    section = setup_cfg()["options.extras_require"]
    return {extra: {canonical(r.name): r for r in requirement_list(section[extra])} for extra in section}


def pins(path: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file (comments and blanks skipped)."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"{path.name}: '{line}' is not pinned with =="
            found[canonical(name.strip())] = version.strip()
    return found


def imported_modules() -> dict[str, set[str]]:
    """Top-level module name -> files of src/spikevision importing it (module level or inside
    functions), without the standard library and spikevision itself."""
    found: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "spikevision":
                    found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def imported_distributions() -> dict[str, set[str]]:
    """Distribution (canonical name) -> files importing it; fails on an import that no installed
    distribution provides."""
    providers = metadata.packages_distributions()
    found: dict[str, set[str]] = {}
    unknown = {}
    for module, files in imported_modules().items():
        dists = {canonical(d) for d in providers.get(module, [])}
        if not dists:
            unknown[module] = sorted(files)
        for dist in dists:
            found.setdefault(dist, set()).update(files)
    assert not unknown, f"imported but provided by no installed distribution: {unknown}"
    return found


def test_every_third_party_import_is_declared_and_pinned():
    used = imported_distributions()
    assert "torch" in used and "pillow" in used  # the walk and the name mapping work
    declared, pinned = install_requires(), pins(REPO / "requirements.txt")
    missing = {d: sorted(f)[:3] for d, f in used.items() if d not in declared}
    assert not missing, f"imported in src/ but not in setup.cfg install_requires: {missing}"
    unpinned = sorted(d for d in used if d not in pinned)
    assert not unpinned, f"imported in src/ but not pinned in requirements.txt: {unpinned}"


def test_every_declared_dependency_is_imported_or_runtime_only():
    used = imported_distributions()
    unused = sorted(d for d in install_requires() if d not in used and d not in RUNTIME_ONLY)
    assert not unused, f"in install_requires but imported nowhere in src/ (nor RUNTIME_ONLY): {unused}"
    stale = sorted(d for d in RUNTIME_ONLY if d in used or d not in install_requires())
    assert not stale, f"RUNTIME_ONLY entries that are imported or not declared: {stale}"


def test_pins_and_ranges_agree():
    declared, pinned = install_requires(), pins(REPO / "requirements.txt")
    optional = {name: req for group in extras().values() for name, req in group.items()}
    for name, req in {**declared, **optional}.items():
        pin = pinned.get(name) or pins(REPO / "requirements-dev.txt").get(name)
        assert pin is not None, f"{name} is declared in setup.cfg but pinned in no requirements file"
        assert req.specifier.contains(pin), f"{name}: pin {pin} is outside setup.cfg's range '{req}'"
    extra = sorted(set(pinned) - set(declared) - set(optional) - PINNED_ONLY)
    assert not extra, f"pinned in requirements.txt but declared nowhere in setup.cfg: {extra}"


def test_extras_are_the_test_tools_and_wandb():
    groups = extras()
    assert set(groups) == {"test", "wandb"}
    assert set(groups["test"]) == set(pins(REPO / "requirements-dev.txt"))
    assert set(groups["wandb"]) == {"wandb"}


def test_console_script_points_at_the_dispatcher():
    scripts = setup_cfg()["options.entry_points"]["console_scripts"]
    entries = dict(line.replace(" ", "").split("=", 1) for line in scripts.splitlines() if line.strip())
    module, _, attr = entries["spikevision"].partition(":")
    assert getattr(importlib.import_module(module), attr) is main_command.main


def test_version_falls_back_to_the_package_attribute(monkeypatch):
    import spikevision

    def not_installed(name):
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    assert main_command.version() == spikevision.__version__


def test_python_m_spikevision_version():
    proc = subprocess.run([sys.executable, "-m", "spikevision", "--version"], capture_output=True,
                          text=True, timeout=120, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"spikevision {main_command.version()}"


def test_help_lists_every_command_on_one_line(capsys):
    with pytest.raises(SystemExit) as exc:
        main_command.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: spikevision")
    lines = out.splitlines()
    for name, (_, description) in main_command.COMMANDS.items():
        assert any(line.split()[:1] == [name] and line.rstrip().endswith(description) for line in lines), name
    assert set(main_command.COMMANDS) >= {
        "train", "sample", "fidelity", "spike-convert", "build-spike-pairs", "spikeclip-combine",
        "spikeclip-infer", "spikeclip-evaluate", "demo", "jscc-evaluate", "jscc-send"}


@pytest.mark.parametrize("argv", [[], ["no-such-command"], ["--no-such-option"]])
def test_dispatcher_usage_errors_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main_command.main(argv)
    assert exc.value.code == 2
    assert "usage: spikevision" in capsys.readouterr().err


# train keeps main.py's parser: the run_*.sh scripts and the docs call `python main.py`
PROG_NAMES = {"train": "main.py"}


@pytest.mark.parametrize("command", list(main_command.COMMANDS))
def test_subcommand_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main_command.main([command, "--help"])
    assert exc.value.code == 0
    usage = capsys.readouterr().out.splitlines()[0]
    assert usage.startswith("usage: ")
    names = (command, command.replace("-", "_"), PROG_NAMES.get(command, command))
    assert any(name in usage for name in names), usage


@pytest.mark.parametrize("command", list(main_command.COMMANDS))
def test_subcommand_unknown_option_exits_2(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main_command.main([command, "--no-such-option"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err


@pytest.mark.parametrize("module", ["demo", "demo_generation", "demo_spikeclip"])
def test_demo_commands_have_their_own_parser(module, capsys):
    main = importlib.import_module(f"spikevision.cli.{module}").main
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith(f"usage: spikevision.cli.{module}")
    assert "key=value" in out and "main.py" not in out
    for bad in (["--no-such-option"], ["not-an-override"], ["a.b=1", "--no-such-option"]):
        with pytest.raises(SystemExit) as exc:
            main(bad)
        assert exc.value.code == 2, bad
        err = capsys.readouterr().err
        assert "unrecognized arguments" in err and "Traceback" not in err


def test_demo_generation_passes_logdir_and_overrides_to_both_runs(monkeypatch, tmp_path):
    from spikevision.cli import demo_generation
    from spikevision.cli.launch_scripts import script_arguments

    calls = []

    class Run:
        logdir = tmp_path
        validate_after: dict = {}
        model = torch.nn.Identity()

        class data:  # noqa: N801 - a stand-in for the DataModule
            @staticmethod
            def dataset(split):
                return [split]

    def fake_train(argv):
        calls.append(list(argv))
        return Run()

    monkeypatch.setattr(demo_generation, "train", fake_train)
    monkeypatch.setattr(demo_generation, "sample", lambda argv: {"gif": tmp_path / "grid.gif"})
    judged = []
    monkeypatch.setattr(demo_generation, "evaluate_generator", lambda *a, **k: judged.append(a) or {"stage1_psnr": 1.0})
    out = demo_generation.run(["lightning.trainer.max_epochs=1", "-l", str(tmp_path)])
    assert out == tmp_path / "grid.gif"
    assert len(calls) == 2 and len(judged) == 1 and judged[0][1] == ["validation"]
    for argv, script in zip(calls, ("run_snn_vqvae_ndigits.sh", "run_snn_transformer_ndigits.sh"), strict=True):
        # the run script's own stack first, then the demo's arguments and the user's (they win)
        assert argv[0] == "--base" and argv[-3:] == ["lightning.trainer.max_epochs=1", "-l", str(tmp_path)]
        launched = script_arguments(f"stage_{1 if 'vqvae' in script else 2}/{script}")
        assert argv[:len(launched)] == launched
        # the demo's shortened length comes before the user's overrides (which win)
        shortened = demo_generation.DEMO_EPOCHS[f"stage_{1 if 'vqvae' in script else 2}/{script}"]
        assert argv.index(shortened[0]) < argv.index("lightning.trainer.max_epochs=1")


# ---- where the configs are: spikevision.resources, in a checkout and in a non-editable install

def test_config_root_order_working_directory_checkout_package(monkeypatch, tmp_path):
    from spikevision import resources

    own = tmp_path / "own"
    (own / "train").mkdir(parents=True)
    (own / "train" / "launch.sh").write_text("#!/usr/bin/env bash\n")
    monkeypatch.chdir(own)
    assert resources.config_root() == own  # a copy of train/ in the working directory wins
    monkeypatch.chdir(tmp_path)
    assert resources.config_root() == REPO  # then the checkout the package runs from
    package = tmp_path / "site" / "spikevision" / "configs"
    (package / "train").mkdir(parents=True)
    (package / "train" / "launch.sh").write_text("")
    monkeypatch.setattr(resources, "SOURCE_CHECKOUT", tmp_path / "site")
    monkeypatch.setattr(resources, "PACKAGE_CONFIGS", package)
    assert resources.config_root() == package  # then the installed package's copy
    monkeypatch.setattr(resources, "PACKAGE_CONFIGS", tmp_path / "missing")
    with pytest.raises(resources.ConfigError) as err:
        resources.config_root()
    message = str(err.value)
    assert "\n" not in message and str(tmp_path / "site") in message and str(tmp_path / "missing") in message


def test_find_config_and_load_config_resolve_under_the_root(monkeypatch, tmp_path):
    from spikevision.registry import load_config
    from spikevision.resources import find_config

    monkeypatch.chdir(tmp_path)
    assert find_config("train/base/snn_recon.yaml") == REPO / "train" / "base" / "snn_recon.yaml"
    (tmp_path / "train" / "base").mkdir(parents=True)
    (tmp_path / "train" / "base" / "snn_recon.yaml").write_text("mine: 1\n")
    assert find_config("train/base/snn_recon.yaml") == Path("train/base/snn_recon.yaml")  # cwd first
    assert load_config("train/base/snn_recon.yaml") == {"mine": 1}
    assert "model" in load_config("train/base/snn_recon_small.yaml")  # not here: the checkout's
    with pytest.raises(SpikevisionError) as err:
        load_config("train/base/no_such.yaml")
    assert str(err.value) == f"config file not found: train/base/no_such.yaml (looked in {tmp_path}, {REPO})"
    with pytest.raises(SpikevisionError, match=r"^config file not found: /no/such\.yaml$"):
        find_config("/no/such.yaml")


def test_configs_command_lists_prints_and_refuses(monkeypatch, tmp_path, capsys):
    from spikevision.cli import configs
    from spikevision.cli.launch_scripts import merged_config
    from spikevision.resources import shipped_files

    monkeypatch.chdir(tmp_path)  # outside the checkout: everything resolves under the root
    listing = configs.run([]).splitlines()
    assert listing[0] == f"# config root: {REPO}"
    assert listing[1:] == [str(p) for p in shipped_files()]
    assert {"train/launch.sh", "train/base/snn_recon.yaml", "sample/sample_event.yaml",
            "train/stage_1/run_snn_recon_ndigits.sh"} <= set(listing[1:])
    assert configs.run(["--pattern", "run_*.sh"]).splitlines()[1:] == sorted(
        str(p.relative_to(REPO)) for p in [*REPO.glob("train/**/run_*.sh"), *REPO.glob("sample/run_*.sh")])
    script = "train/stage_1/run_snn_recon_ndigits.sh"
    text = configs.run([script, "data.params.batch_size=3"])
    assert OmegaConf.create(text) == merged_config([REPO / script], ["data.params.batch_size=3"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        configs.main(["train/base/no_such.yaml"])
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip() == (
        f"error: config file not found: train/base/no_such.yaml (looked in {tmp_path}, {REPO})")


def test_invocation_takes_configs_relative_to_the_scripts_folder(tmp_path):
    from spikevision.cli.launch_scripts import invocation

    # a copy of train/ elsewhere (as an installed package ships it): paths point into the copy
    shutil.copytree(REPO / "train", tmp_path / "train")
    run = invocation(tmp_path / "train" / "stage_1" / "run_snn_recon_ndigits.sh")
    assert run.name == "snn_recon_ndigits"
    assert run.configs[0] == tmp_path.resolve() / "train" / "base" / "snn_recon.yaml"
    assert all(c.is_file() and tmp_path.resolve() in c.parents for c in run.configs)


def _build_wheel(tmp_path: Path) -> Path:
    """sdist of a copy of the checkout (what MANIFEST.in ships), then a wheel built from that
    sdist, offline (--no-build-isolation: the installed setuptools and wheel)."""
    ignored = [line.strip().rstrip("/") for line in (REPO / ".gitignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    tree = tmp_path / "tree"
    shutil.copytree(REPO, tree, ignore=shutil.ignore_patterns(".git", *ignored))
    dist = tmp_path / "dist"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta as b; "
                    "print(b.build_sdist(sys.argv[1]))", str(dist)],
                   cwd=tree, check=True, capture_output=True, timeout=300, env=env)
    (sdist,) = dist.glob("spikevision-*.tar.gz")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                           "--no-index", str(sdist), "-w", str(dist)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    (wheel,) = dist.glob("spikevision-*.whl")
    return wheel


@pytest.mark.slow
def test_non_editable_install_runs_commands_and_finds_its_configs(tmp_path):
    """`pip install` of the wheel into a fresh venv (the heavy dependencies come from this test
    venv through a .pth line), then the commands from a folder outside any checkout."""
    pytest.importorskip("wheel", reason="the wheel package builds the wheel (requirements-dev.txt)")
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as z:
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
    assert modes["spikevision/configs/train/launch.sh"] & 0o111  # run scripts stay executable
    assert "spikevision/configs/tests/data/nmnist_sample.bin" in modes

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True, timeout=120)
    py, bindir = venv / "bin" / "python", venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    site = Path(subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True, env=env).stdout.strip())
    # this venv's packages (torch, lightning, ...) after the new venv's own: a plain path line, so
    # its editable-install .pth (pointing at this checkout's src/) is not processed
    (site / "test_venv_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps",
                           "--no-index", str(wheel)], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr[-2000:]

    work = tmp_path / "elsewhere"
    work.mkdir()

    def call(*argv: str | Path, code: int = 0) -> str:
        proc = subprocess.run([str(a) for a in argv], cwd=work, capture_output=True, text=True,
                              timeout=300, env={**env, "OMP_NUM_THREADS": "1"})
        assert proc.returncode == code, (argv, proc.stdout[-1000:], proc.stderr[-2000:])
        return proc.stdout + proc.stderr

    installed = site / "spikevision"
    assert call(bindir / "spikevision", "--version").strip() == f"spikevision {main_command.version()}"
    assert "configs" in call(bindir / "spikevision", "--help")
    assert call(bindir / "spikevision", "demo", "--help").startswith("usage: spikevision.cli.demo")
    assert call(py, "-m", "spikevision", "--help").startswith("usage: spikevision")
    # the configs it ships are the checkout's (same listing), found inside the installed package
    listing = call(bindir / "spikevision", "configs").splitlines()
    assert listing[0] == f"# config root: {installed / 'configs'}"
    with_checkout = subprocess.run([sys.executable, "-m", "spikevision", "configs"], cwd=REPO,
                                   capture_output=True, text=True, check=True).stdout.splitlines()
    assert listing[1:] == with_checkout[1:]
    # the installed copy is imported; what the demos launch resolves inside it, and a run script
    # run from there launches the same merged config as from the checkout (one interpreter: the
    # imports behind the run-script reader take most of this test's time)
    probe = ("import json, spikevision\n"
             "from omegaconf import OmegaConf\n"
             "from spikevision.cli.demo import DEMO_SCRIPT\n"
             "from spikevision.cli.launch_scripts import merged_config, script_arguments\n"
             "from spikevision.resources import DEMO_RECORDING, config_root, find_config\n"
             "print(json.dumps({'file': spikevision.__file__, 'root': str(config_root()),\n"
             "  'demo': script_arguments(DEMO_SCRIPT), 'recording': str(find_config(DEMO_RECORDING)),\n"
             "  'merged': OmegaConf.to_container(merged_config([sys.argv[1]]))}))\n")
    script = "train/stage_1/run_snn_recon_ndigits.sh"
    from spikevision.cli.demo import DEMO_SCRIPT
    from spikevision.cli.launch_scripts import merged_config, script_arguments

    got = json.loads(call(py, "-c", "import sys\n" + probe, script).splitlines()[-1])
    assert got["file"] == str(installed / "__init__.py") and got["root"] == str(installed / "configs")
    assert got["merged"] == OmegaConf.to_container(merged_config([REPO / script]))
    configs = [Path(a) for a in got["demo"][1:] if a.endswith(".yaml")]
    assert [c.relative_to(installed / "configs") for c in configs] == [
        Path(a).relative_to(REPO) for a in script_arguments(DEMO_SCRIPT)[1:] if a.endswith(".yaml")]
    assert all(c.is_file() for c in configs) and Path(got["recording"]).is_file()
    assert Path(got["recording"]).read_bytes() == (REPO / "tests" / "data" / "nmnist_sample.bin").read_bytes()
    err = call(bindir / "spikevision", "configs", "train/base/no_such.yaml", code=2)
    assert err.strip() == (f"error: config file not found: train/base/no_such.yaml "
                           f"(looked in {work}, {installed / 'configs'})")
