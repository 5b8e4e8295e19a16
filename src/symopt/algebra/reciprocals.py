"""One reciprocal per shared denominator: ``a/d``, ``b/d``, ``c/d`` → ``t = 1/d``; ``a*t``,
``b*t``, ``c*t`` (a program-level pass after extraction, deciding by the cost table).

Over the reals ``a/d = a*(1/d)`` wherever ``d != 0``, and both sides are undefined at ``d = 0``:
the ``algebra`` tier (it rounds twice instead of once). The rule e-graph cannot find this alone:
``x/y → x*(1/y)`` as a rule would apply to every division. Here a denominator used by ``n``
distinct divisions is replaced only when ``n`` divisions cost more than one division and ``n``
multiplications (with the throughput table, from two divisions on).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from symopt.costs.table import CostTable
from symopt.ir import App, Num, Term, intern, postorder, with_args


def _is_one(term: Term) -> bool:
    return isinstance(term, Num) and term.value == 1.0


def share_reciprocals(roots: Sequence[Term], table: CostTable) -> list[Term]:
    """``roots`` with the divisions by each denominator shared by enough of them replaced by
    multiplications with one reciprocal."""
    roots = intern(roots)
    nodes = list(postorder(roots))
    uses: Counter[Term] = Counter()
    has_reciprocal: set[Term] = set()
    for node in nodes:
        if isinstance(node, App) and node.op == "div" and not isinstance(node.args[1], Num):
            if _is_one(node.args[0]):
                has_reciprocal.add(node.args[1])
            else:
                uses[node.args[1]] += 1
    div, mul = table.op("div"), table.op("mul")
    chosen = {d for d, n in uses.items() if n * div > (0 if d in has_reciprocal else div) + n * mul}
    if not chosen:
        return roots
    done: dict[int, Term] = {}
    for node in nodes:
        if not isinstance(node, App):
            done[id(node)] = node
            continue
        args = tuple(done[id(a)] for a in node.args)
        if node.op == "div" and node.args[1] in chosen and not _is_one(node.args[0]):
            done[id(node)] = App("mul", (args[0], App("div", (Num(1.0), args[1]))))
        else:
            done[id(node)] = with_args(node, args)
    return intern([done[id(r)] for r in roots])
