"""A parsed model's way to generated code, without I/O: its outputs, the optimisation of all of
them together and the rendered module. ``symopt compile`` and ``symopt batch`` both use it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from symopt.errors import ConfigError, SourceError
from symopt.model.sampling import Ranges, merge_ranges, parse_sample, sidecar_ranges

if TYPE_CHECKING:
    from symopt.costs import CostTable
    from symopt.ir import Sym, Term
    from symopt.limits import Limits
    from symopt.model.model import Model
    from symopt.optimize import Optimized
    from symopt.rulesets.assume import Assumption
    from symopt.rulesets.rule import Ruleset

Pairs = list[tuple["Sym", "Term"]]


def model_outputs(parsed: Model, path: str) -> Pairs:
    """``(target, term)`` per output; a model without outputs is a :class:`SourceError`."""
    pairs = parsed.output_terms()
    if not pairs:
        raise SourceError("the model assigns no outputs", path=path, line=1, column=1)
    return pairs


def ranges_from_sidecar(text: str | None, where: str, samples: Sequence[str]) -> Ranges:
    """Sampling ranges from a sidecar's JSON ``text`` (``None``: no sidecar), overridden by
    ``--sample`` values; ``where`` names the sidecar in errors."""
    overrides = dict(parse_sample(s) for s in samples)
    if text is None:
        return overrides
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError.in_text(
            f"bad JSON: {exc.msg}", where, text, exc.lineno, exc.colno
        ) from None
    return merge_ranges(sidecar_ranges(data, where, text), overrides)


def optimize_model(
    parsed: Model,
    pairs: Pairs,
    *,
    rules: Ruleset,
    table: CostTable,
    limits: Limits,
    verify: bool,
    ranges: Ranges,
    assumptions: Sequence[Assumption] = (),
) -> Optimized:
    """Optimise every output together; ``assumptions`` add to the model's own. ``ranges`` (the
    sidecar's and ``--sample``'s) are narrowed by the assumptions when verifying."""
    from symopt.ir import symbols
    from symopt.optimize import optimize
    from symopt.rulesets.assume import facts, sample_ranges

    assumed = [*parsed.assumptions, *assumptions]
    terms = [term for _, term in pairs]
    return optimize(
        terms,
        ruleset=rules,
        costs=table,
        limits=limits,
        verify=verify,
        sample_ranges=merge_ranges(sample_ranges(assumed), ranges) if verify else {},
        assumptions=facts(assumed, symbols(terms)),
    )


def render_model(
    parsed: Model,
    pairs: Pairs,
    result: Optimized,
    *,
    lang: str,
    name: str,
    table: CostTable,
    restrict: bool = False,
    max_statements: int | None = None,
) -> str:
    """The module defining function ``name``; a bad name (or a parameter clashing with it) is a
    :class:`ConfigError`."""
    from symopt.codegen import FunctionDef, render_module

    body = tuple((target, out) for (target, _), out in zip(pairs, result.outputs, strict=True))
    try:
        fn = FunctionDef(name, parsed.inputs, body, parsed.outputs)
        return render_module(
            lang, [fn], costs=table, restrict=restrict, max_statements=max_statements
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
