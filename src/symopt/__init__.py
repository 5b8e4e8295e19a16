"""symopt: an e-graph optimizer for numerical expressions.

The library entry points are :func:`optimize` and :func:`load` (a model as a Python
callable); the ``symopt`` command is a thin shell around it.
"""

from symopt.limits import Limits, PhaseReport, StopReason
from symopt.native.load import load
from symopt.optimize import Optimized, optimize
from symopt.sympy_interop import from_sympy, function, to_sympy

__all__ = [
    "Limits",
    "Optimized",
    "PhaseReport",
    "StopReason",
    "from_sympy",
    "function",
    "load",
    "optimize",
    "to_sympy",
]
__version__ = "0.1.0"
