"""The error types yocr raises on purpose, each naming the file (or value) and the problem, and the exit codes.

Exit codes (every command; ``yocr run --help`` and the README list them):

=====  ===========================================================================================================
0      everything was read
1      some inputs failed (each named on the console and, for ``yocr run``, in ``OUT/errors.tsv``); the rest was read
2      bad command line: an unknown option or a value out of range (:class:`YocrError`)
3      bad weights or configuration: a weights file, rules file or required program that cannot be used
       (:class:`ConfigError`)
4      the output cannot be written: ``--out`` is a file, not writable, or another run is writing there
       (:class:`OutputError`)
130    interrupted by Ctrl-C (SIGINT); 143 by SIGTERM, 129 by SIGHUP (128 + the signal number): finished outputs are
       kept, and the same command resumes
=====  ===========================================================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_SOME_FAILED = 1
EXIT_USAGE = 2
EXIT_CONFIG = 3
EXIT_OUTPUT = 4
EXIT_SIGNAL_BASE = 128  # interrupted by signal N: exit 128 + N (130 for Ctrl-C)


class YocrError(Exception):
    """Base class for every error yocr raises on purpose; on its own, a bad command-line value (exit 2)."""

    exit_code = EXIT_USAGE


class ImageLoadError(YocrError):
    """An input image could not be read: names the file and why."""

    def __init__(self, path: object, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class LabelError(YocrError):
    """A label cannot be encoded or a labels file is malformed."""


class ConfigError(YocrError):
    """A weights file, rules file or required program named by the configuration cannot be used (exit 3)."""

    exit_code = EXIT_CONFIG


class CheckpointError(ConfigError):
    """A weights file is missing, corrupt or not a yocr checkpoint."""


class OutputError(YocrError):
    """The output folder cannot be used: it is a file, not writable, or another run is writing there (exit 4)."""

    exit_code = EXIT_OUTPUT


def exit_code_for(exc: BaseException) -> int:
    """The exit code of a command that stops on ``exc``."""
    return getattr(exc, "exit_code", EXIT_USAGE)
