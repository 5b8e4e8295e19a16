"""symopt: an e-graph optimizer for numerical expressions.

The library entry points are :func:`optimize` and :func:`load` (a model as a Python
callable); the ``symopt`` command is a thin shell around it.
"""

from symopt.egraph.runner import Limits, StopReason
from symopt.native.load import load
from symopt.optimize import Optimized, optimize

__all__ = ["Limits", "Optimized", "StopReason", "load", "optimize"]
__version__ = "0.1.0"
