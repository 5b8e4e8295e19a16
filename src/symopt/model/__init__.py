"""Model files (``*.sym``): statements that assign outputs, and the terms they define.

:func:`parse_model` reads and checks a file; :class:`Model` holds its statements, outputs and
inputs and gives each output's term with locals and earlier targets substituted.
"""

from symopt.model.model import Model
from symopt.model.parse import parse_model

__all__ = ["Model", "parse_model"]
