"""Jinja extensions cookiecutter loads for this template (`_extensions` in cookiecutter.json).

Cookiecutter 2.7 logs a failed hook with `logger.exception`, so the pre-gen hook's one-line
errors were followed by a traceback of cookiecutter's own frames, which says nothing more.
"""

from __future__ import annotations

import logging

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.ext import Extension


class _WithoutHookTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], FailedHookException):
            record.exc_info = None
            record.exc_text = None
        return True


_FILTER = _WithoutHookTraceback()


class QuietHookFailures(Extension):
    """Keep cookiecutter's "Stopping generation" line for a failed hook, drop its traceback."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        logger = logging.getLogger("cookiecutter.hooks")
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
