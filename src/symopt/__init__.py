"""symopt: an e-graph optimizer for numerical expressions.

The library entry point is :func:`optimize`; the ``symopt`` command is a thin shell around it.
"""

from symopt.limits import Limits, StopReason
from symopt.optimize import Optimized, optimize

__all__ = ["Limits", "Optimized", "StopReason", "optimize"]
__version__ = "0.1.0"
