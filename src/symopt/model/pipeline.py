"""A parsed model's way to generated code, without I/O: its outputs, the optimisation of all of
them together and the rendered module. ``symopt compile`` and ``symopt batch`` both use it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypedDict, Unpack

from symopt.errors import ConfigError, SourceError
from symopt.model.sampling import Ranges, merge_ranges, parse_sample, sidecar_ranges

if TYPE_CHECKING:
    from symopt.codegen import FunctionDef
    from symopt.costs import CostTable
    from symopt.ir import Sym, Term
    from symopt.jacobian import Jacobian
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
    extra: Sequence[Term] = (),
    deadline: float | None = None,
) -> Optimized:
    """Optimise every output together; ``assumptions`` add to the model's own. ``ranges`` (the
    sidecar's and ``--sample``'s) are narrowed by the assumptions when verifying. ``extra``
    terms (a Jacobian's entries) are optimised in the same run, after the outputs.
    ``deadline``: the absolute ``time.perf_counter()`` by which the optimiser's phases stop
    (default: ``limits.time`` from now)."""
    from symopt.egraph.runner import release_programs
    from symopt.ir import Interned, symbols
    from symopt.optimize import optimize
    from symopt.rulesets.assume import facts, sample_ranges

    assumed = [*parsed.assumptions, *assumptions]
    # Model.output_terms hash-conses the outputs as it builds them: no need to intern again.
    terms = [*(term for _, term in pairs), *extra] if extra else Interned(t for _, t in pairs)
    try:
        return optimize(
            terms,
            ruleset=rules,
            costs=table,
            limits=limits,
            verify=verify,
            sample_ranges=merge_ranges(sample_ranges(assumed), ranges) if verify else {},
            assumptions=facts(assumed, symbols(terms) if assumed else []),
            deadline=deadline,
        )
    finally:
        # A model is optimised in one go: rendering it can reuse the e-graph's memory (the
        # peak of exp5000's compile drops from 88 to 85 MB).
        release_programs()


class _Rendering(TypedDict):
    lang: str
    name: str
    table: CostTable


class ModelOptions(_Rendering, total=False):
    """How :func:`render_model` renders (the parameters of :func:`render_model_files`)."""

    restrict: bool
    max_statements: int | None
    jacobian: Jacobian | None


def render_model(
    parsed: Model, pairs: Pairs, result: Optimized, **options: Unpack[ModelOptions]
) -> str:
    """The module defining function ``name`` (and, with a ``jacobian`` whose optimised entries
    follow the outputs in ``result``, ``NAME_jac`` and ``NAME_f_and_jac`` and the structure
    constants: see :func:`jacobian_functions`); a bad name (or a parameter clashing with it) is
    a :class:`ConfigError`."""
    return render_model_files(parsed, pairs, result, **options)[0]


def render_model_files(
    parsed: Model,
    pairs: Pairs,
    result: Optimized,
    *,
    lang: str,
    name: str,
    table: CostTable,
    restrict: bool = False,
    max_statements: int | None = None,
    jacobian: Jacobian | None = None,
    max_file_operations: int | None = None,
) -> list[str]:
    """:func:`render_model` as a list of files: one, or for C whose split functions' parts
    hold more than ``max_file_operations`` operations, the first file and the part files (see
    :mod:`symopt.codegen.cfiles`)."""
    from symopt.codegen import FunctionDef
    from symopt.codegen.module import render_module_files

    n = len(pairs)
    body = tuple((target, out) for (target, _), out in zip(pairs, result.outputs[:n], strict=True))
    try:
        fns = [FunctionDef(name, parsed.inputs, body, parsed.outputs)]
        constants: list[tuple[str, tuple[int, ...]]] = []
        if jacobian is not None:
            more, constants = jacobian_functions(fns[0], jacobian, result.outputs[n:])
            fns += more
        return render_module_files(
            lang,
            fns,
            costs=table,
            restrict=restrict,
            max_statements=max_statements,
            constants=constants,
            max_file_operations=max_file_operations,
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def fallback_messages(
    path: str, parsed: Model, pairs: Pairs, result: Optimized, jac: Jacobian | None = None
) -> list[str]:
    """One warning per verification fallback of ``result``: an output statement
    (``FILE:LINE: warning: TARGET: …``), or an entry of ``jac`` (those follow the outputs)."""
    messages = []
    for fb in result.fallbacks:
        if jac is not None and fb.index >= len(pairs):
            row, col = jac.position(fb.index - len(pairs))
            what = f"Jacobian entry ({row}, {jac.array}[{col}])"
            messages.append(fb.message(path, "kept the unoptimised derivative", what))
            continue
        target = pairs[fb.index][0]
        where = f"{path}:{parsed.line_of(target)}"
        messages.append(fb.message(where, "kept the unoptimised statement", target.key))
    return messages


def model_jacobian(parsed: Model, pairs: Pairs, array: str | None) -> Jacobian:
    """The Jacobian of the outputs by input ``array`` (None: the input array read by the most
    statements); an unknown or scalar ``array`` is a :class:`ConfigError`."""
    from symopt.jacobian import build_jacobian, default_array, output_rows

    arrays = [p.name for p in parsed.inputs if p.is_array]
    if array is None:
        exprs = [s.expr for s in parsed.statements]
        outs = [p.name for p in parsed.outputs]
        array = default_array(exprs, arrays, parsed.sizes, outs, len(pairs))
        if array is None:
            raise ConfigError("--jacobian: the model has no input array to differentiate by")
    elif array not in arrays:
        known = ", ".join(arrays) or "none"
        raise ConfigError(f"--jacobian: {array!r} is not an input array (input arrays: {known})")
    rows, n_rows = output_rows([target for target, _ in pairs], parsed.sizes)
    terms = [term for _, term in pairs]
    return build_jacobian(terms, rows, n_rows, array, parsed.sizes.get(array, 0))


def jacobian_functions(
    fn: FunctionDef, jacobian: Jacobian, values: Sequence[Term]
) -> tuple[list[FunctionDef], list[tuple[str, tuple[int, ...]]]]:
    """``NAME_jac(jac, inputs…)`` filling the ``nnz`` values, ``NAME_f_and_jac(outputs…, jac,
    inputs…)`` computing both (shared subterms once), and the constants ``NAME_jac_indptr``,
    ``NAME_jac_indices`` and ``NAME_jac_shape`` (rows, columns)."""
    from symopt.codegen import FunctionDef, Param
    from symopt.ir import Sym
    from symopt.jacobian import values_name

    out = values_name(p.name for p in (*fn.inputs, *fn.outputs))
    jbody = tuple((Sym(out, k), v) for k, v in enumerate(values))
    param = Param(out, True)
    jac = FunctionDef(f"{fn.name}_jac", fn.inputs, jbody, (param,))
    both = FunctionDef(f"{fn.name}_f_and_jac", fn.inputs, fn.body + jbody, (*fn.outputs, param))
    constants = [
        (f"{fn.name}_jac_indptr", jacobian.indptr),
        (f"{fn.name}_jac_indices", jacobian.indices),
        (f"{fn.name}_jac_shape", jacobian.shape),
    ]
    return [jac, both], constants


def check_jacobian(
    path: str,
    parsed: Model,
    pairs: Pairs,
    jac: Jacobian,
    values: Sequence[Term],
    ranges: Ranges,
) -> None:
    """Central finite differences against the optimised Jacobian entries ``values``: a
    disagreement is an :class:`~symopt.errors.InternalError` (a wrong derivative is a bug)."""
    from symopt.errors import InternalError
    from symopt.jacobian import check_finite_differences, output_rows
    from symopt.model.sampling import merge_ranges
    from symopt.rulesets.assume import sample_ranges

    rows, _ = output_rows([target for target, _ in pairs], parsed.sizes)
    terms = [term for _, term in pairs]
    merged = merge_ranges(sample_ranges(parsed.assumptions), ranges)
    bad = check_finite_differences(terms, rows, jac, values, ranges=merged)
    if bad:
        m = bad[0]
        at = ", ".join(f"{k}={v:.17g}" for k, v in list(m.point.items())[:8])
        raise InternalError(
            f"{path}: {len(bad)} Jacobian "
            f"{'entry disagrees' if len(bad) == 1 else 'entries disagree'} with "
            f"finite differences; first: ({m.row}, {jac.array}[{m.column}]) = {m.value:.17g}, "
            f"finite differences {m.estimate:.17g}, at {at}"
        )
