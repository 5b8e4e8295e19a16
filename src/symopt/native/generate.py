"""A model's text to generated source and signature, through ``symopt.model.pipeline`` (the
steps ``symopt compile`` takes), plus the C loop of ``many``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from symopt.errors import ConfigError
from symopt.native.signature import JacobianInfo, Signature, signature

if TYPE_CHECKING:
    from symopt.jacobian import Jacobian
    from symopt.model.model import Model
    from symopt.model.pipeline import Pairs
    from symopt.native.load import Options
    from symopt.optimize import Optimized


@dataclass(frozen=True)
class Generated:
    source: str
    signature: Signature
    warnings: tuple[str, ...]
    parts: tuple[str, ...] = ()
    """C part files to compile and link with ``source`` (see :mod:`symopt.codegen.cfiles`)."""


def generate(
    text: str, path: str, options: Options, sidecar_text: str | None, sidecar_name: str
) -> Generated:
    """Parse, optimise (every output together) and render the model ``text``."""
    from symopt.limits import Limits
    from symopt.model import parse_model
    from symopt.model.pipeline import (
        model_jacobian,
        model_outputs,
        optimize_model,
        ranges_from_sidecar,
        render_model_files,
    )
    from symopt.native.cwrap import many_wrapper, object_wrapper
    from symopt.optimize import resolve_costs, resolve_ruleset
    from symopt.rulesets.assume import parse_assumption

    parsed = parse_model(text, path, options.order)
    pairs = model_outputs(parsed, path)
    if options.args is not None:
        parsed = _with_args(parsed, options.args)
    jac = (
        None
        if options.jacobian is None
        else model_jacobian(parsed, pairs, options.jacobian or None)
    )
    table = resolve_costs(options.costs)
    ranges = (
        ranges_from_sidecar(sidecar_text, sidecar_name, options.samples) if options.verify else {}
    )
    result = optimize_model(
        parsed,
        pairs,
        rules=resolve_ruleset(options.ruleset, options.tier),
        table=table,
        limits=Limits(
            iterations=options.iter_limit, nodes=options.node_limit, time=options.time_limit
        ),
        verify=options.verify,
        ranges=ranges,
        assumptions=[parse_assumption(a) for a in options.assume],
        extra=() if jac is None else jac.entries,
    )
    messages = _messages(path, parsed, pairs, result, jac)
    if jac is not None and options.verify:
        from symopt.model.pipeline import check_jacobian

        check_jacobian(path, parsed, pairs, jac, result.outputs[len(pairs) :], ranges)
    source, *parts = render_model_files(
        parsed,
        pairs,
        result,
        lang=options.lang,
        name=options.name,
        table=table,
        max_statements=options.max_statements,
        jacobian=jac,
        max_file_operations=options.max_file_operations,
    )
    sig = signature(options.name, parsed.inputs, parsed.outputs, pairs, parsed.sizes)
    if jac is not None:
        sig = dataclasses.replace(sig, jacobian=_info(jac, parsed))
    if options.lang == "c":
        sigs = [sig, *sig.jacobian_signatures()] if jac is not None else [sig]
        source += "".join(many_wrapper(s) + object_wrapper(s) for s in sigs)
    return Generated(source, sig, tuple(messages), tuple(parts))


def _with_args(parsed: Model, args: tuple[tuple[str, bool], ...]) -> Model:
    """``parsed`` with its inputs replaced by ``args`` (in that order); every input the model
    reads must be one of them, of the same kind."""
    from symopt.codegen.function import Param

    given = {name: is_array for name, is_array in args}
    for p in parsed.inputs:
        if p.name not in given:
            raise ConfigError(f"the expressions read '{p.name}', which is not in args")
        if given[p.name] != p.is_array:
            kind = "an array (indexed)" if p.is_array else "a scalar"
            raise ConfigError(f"'{p.name}' is read as {kind} but args declare it otherwise")
    inputs = tuple(Param(name, is_array) for name, is_array in args)
    return dataclasses.replace(parsed, inputs=inputs)


def _messages(
    path: str, parsed: Model, pairs: Pairs, result: Optimized, jac: Jacobian | None
) -> list[str]:
    """The parser's warnings and one per verification fallback (an output, or a Jacobian
    entry: those follow the outputs in ``result``)."""
    from symopt.model.pipeline import fallback_messages

    warnings = [w.format() for w in parsed.warnings]
    return warnings + fallback_messages(path, parsed, pairs, result, jac)


def _info(jac: Jacobian, parsed: Model) -> JacobianInfo:
    """What the signature records of ``jac`` (with the values parameter's name)."""
    from symopt.jacobian import values_name

    rows, cols = jac.shape
    taken = [p.name for p in (*parsed.inputs, *parsed.outputs)]
    return JacobianInfo(jac.array, rows, cols, jac.nnz, values_name(taken))
