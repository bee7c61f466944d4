"""Exception types with messages meant for researchers, not stack-trace readers."""

import re

# torch re-raises an exception from a DataLoader worker (or its pin-memory thread) as
# ``type(err)("Caught <Name> in DataLoader worker process <i>.\nOriginal Traceback ...")``: the
# original message comes last, after the error's qualified name
_RERAISED = re.compile(r"Caught \w+ in [^\n]*\.\nOriginal ")


def original_message(message: str, cls: type) -> str:
    """``message`` without the worker traceback torch's DataLoader wraps around an exception of
    type ``cls`` raised in a worker process (unchanged if it is not such a message)."""
    if not _RERAISED.match(message):
        return message
    marker = f"\n{cls.__module__}.{cls.__qualname__}: "
    at = message.rfind(marker)
    return message[at + len(marker):].rstrip("\n") if at >= 0 else message


class SpikevisionError(Exception):
    """Base class of every error raised on purpose by spikevision. Raised in a DataLoader worker
    (``num_workers > 0``), it reaches the main process with the message it had there (torch
    re-raises it with the worker's traceback as its message), as with ``num_workers=0``."""

    def __init__(self, *args) -> None:
        if len(args) == 1 and isinstance(args[0], str):
            args = (original_message(args[0], type(self)),)
        super().__init__(*args)


class EventFormatError(SpikevisionError, ValueError):
    """A recording is truncated, corrupt, empty where data is required, or of the wrong format."""


class DatasetNotFoundError(SpikevisionError, FileNotFoundError):
    """A dataset root is missing or does not have the expected folder layout."""


class ConfigError(SpikevisionError, KeyError):
    """A config is malformed: unknown target, missing key, wrong type."""

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class CheckpointNotFoundError(SpikevisionError, FileNotFoundError):
    """A checkpoint or log directory to resume from does not exist."""


class ChannelError(SpikevisionError, ValueError):
    """A noisy-channel argument is invalid: odd symbol count, wrong SNR shape, unknown kind."""


class StereoPairError(SpikevisionError, ValueError):
    """A stereo pair is unusable: an unreadable image, two views of different sizes, an image
    smaller than the crop, or a malformed pair list."""


class CheckpointError(SpikevisionError, ValueError):
    """A checkpoint or export file exists but cannot be used: corrupt, truncated, not a PyTorch
    file, or holding Python objects that would run code when unpickled."""


class FileWriteError(SpikevisionError, OSError):
    """A file could not be written (a full disk, an exhausted quota); the message names the file
    and the reason. The atomic writers (:mod:`spikevision.atomic_write`) keep the previous file."""

    def __init__(self, message: str, errno_: int | None = None, filename: str | None = None) -> None:
        super().__init__(message)
        self.errno, self.filename = errno_, filename

    def __str__(self) -> str:  # OSError would otherwise prefix "[Errno N]" only when given 2+ args
        return str(self.args[0]) if self.args else ""


class CheckpointMismatchError(ConfigError, CheckpointError):
    """A checkpoint's weights do not fit the model its config builds (a missing or unexpected key,
    a different shape); the message names the file and the first mismatching key. Also a
    :class:`ConfigError`, which such mismatches raised before."""


class NonFiniteError(SpikevisionError, FloatingPointError):
    """A training step produced NaN/inf gradients (a non-finite loss), or weights are non-finite."""
