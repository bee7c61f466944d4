"""Library code logs instead of printing; the command-line entry shows those messages."""

from __future__ import annotations

import logging
import types

import pytest
from lightning.pytorch.loggers import CSVLogger

from spikevision.callbacks.training_curves import TrainingCurves
from spikevision.cli import console


@pytest.fixture
def fresh_spikevision_logger():
    logger = logging.getLogger("spikevision")
    saved = logger.handlers[:], logger.level
    logger.handlers.clear()
    yield logger
    logger.handlers[:], logger.level = saved


def test_library_messages_go_to_stdout_and_warnings_to_stderr(fresh_spikevision_logger, capsys):
    console.console_main(lambda argv: logging.getLogger("spikevision.x").info("wrote %s", "a.png"), [])
    logging.getLogger("spikevision.x").warning("careful")
    logging.getLogger("spikevision.x").debug("hidden")
    out, err = capsys.readouterr()
    assert out == "wrote a.png\n" and err == "careful\n"
    console.show_library_messages()  # idempotent: still one handler
    assert len(fresh_spikevision_logger.handlers) == 1


def test_training_curves_logs_the_written_file(fresh_spikevision_logger, tmp_path, caplog, capsys):
    csv = CSVLogger(tmp_path / "logs", name="csv")
    csv.log_metrics({"train/loss": 1.0}, step=0)
    csv.log_metrics({"train/loss": 0.5}, step=1)
    trainer = types.SimpleNamespace(global_rank=0, loggers=[csv], default_root_dir=str(tmp_path / "run"))
    callback = TrainingCurves()
    with caplog.at_level(logging.INFO, logger="spikevision"):
        callback.on_fit_end(trainer, None)
    assert callback.path is not None and callback.path.is_file()
    assert f"training curves: {callback.path}" in caplog.messages
    assert capsys.readouterr().out == ""  # logged, not printed
