"""Compatibility name for :mod:`minilambda.runtime.log_lines`."""

from .log_lines import *  # noqa: F401,F403
from .log_lines import end_line, init_start_line, report_line, start_line, tail  # noqa: F401
