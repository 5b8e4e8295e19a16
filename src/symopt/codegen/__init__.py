"""Code generation: IR terms back to source code (``sym``, C99, Python, NumPy).

:func:`render_module` writes a whole file of :class:`FunctionDef` s; :func:`to_sym` prints one
term in the input language; :func:`format_float` writes exact number literals.
"""

from symopt.codegen.function import FunctionDef, Param
from symopt.codegen.lower import lower_powers
from symopt.codegen.module import LANGS, render_module
from symopt.codegen.numbers import format_float
from symopt.codegen.sym import to_sym

__all__ = [
    "LANGS",
    "FunctionDef",
    "Param",
    "format_float",
    "lower_powers",
    "render_module",
    "to_sym",
]
