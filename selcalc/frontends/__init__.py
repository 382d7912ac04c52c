"""Frontends: Python source (ast), tracing (operator overloading), the paper's data."""

from .source import parse
from .trace import trace

__all__ = ["parse", "trace"]
