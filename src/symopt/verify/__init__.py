"""Numerical verification: does an optimised expression compute the same numbers as its input?

Terms are evaluated with numpy at many sample points at once and compared with a tolerance scaled
by first-order error propagation (:func:`error_scale`), so legitimate rounding differences in
cancelling sums pass while wrong rewrites fail.
"""

from symopt.verify.check import Mismatch, check_equivalent
from symopt.verify.evaluate import error_scale, evaluate
from symopt.verify.sampling import sample_env

__all__ = ["Mismatch", "check_equivalent", "error_scale", "evaluate", "sample_env"]
