"""Number literals that round-trip exactly, in every output language."""

from __future__ import annotations

import math

_NON_FINITE: dict[str, tuple[str, str]] = {
    # lang: (infinity, nan)
    "c": ("INFINITY", "NAN"),
    "python": ("math.inf", "math.nan"),
    "numpy": ("np.inf", "np.nan"),
    # The input language has no inf/nan literal: write IEEE expressions that evaluate to them.
    "sym": ("(1e308*10)", "(0*(1e308*10))"),
}

_EXACT_INT_LIMIT = 2.0**53


def format_float(x: float, lang: str) -> str:
    """``x`` as a literal of ``lang`` (``sym``, ``c``, ``python``, ``numpy``) reading back exactly.

    Finite values use Python's shortest round-tripping ``repr``, which always carries a ``.`` or an
    exponent, so in C it is a double literal (``2.0``, ``1e-05``), never an ``int``. In ``sym``,
    integer-valued floats below 2**53 drop the ``.0`` (``2``, ``-0``). Negative values come back
    with a leading ``-``: the printers treat that as a unary minus for precedence. In ``sym``, where
    the grammar has no infinity or NaN, those print as parenthesised IEEE expressions
    (``(1e308*10)`` overflows to infinity).
    """
    try:
        inf_text, nan_text = _NON_FINITE[lang]
    except KeyError:
        raise ValueError(f"unknown language {lang!r}") from None
    x = float(x)
    if math.isnan(x):
        return nan_text
    if math.isinf(x):
        if lang == "sym":
            return "(-1e308*10)" if x < 0 else inf_text
        return "-" + inf_text if x < 0 else inf_text
    if lang == "sym" and x.is_integer() and abs(x) < _EXACT_INT_LIMIT:
        text = str(int(x))
        return "-0" if text == "0" and math.copysign(1.0, x) < 0 else text
    return repr(x)
