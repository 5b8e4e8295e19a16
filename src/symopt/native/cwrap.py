"""The C loop that evaluates a model function over many points (``f.many``)."""

from __future__ import annotations

from symopt.native.signature import Signature


def many_name(name: str) -> str:
    """The C symbol of the vectorised entry point of function ``name``."""
    return f"{name}_many"


def object_name(name: str) -> str:
    """The C symbol of the entry point taking NumPy arrays as objects (``f(...)`` calls)."""
    return f"{name}_obj"


def offset_name(name: str) -> str:
    """The C global holding where an ndarray object keeps its data pointer (set on load)."""
    return f"{name}_data_offset"


def object_wrapper(sig: Signature) -> str:
    """C source of ``void NAME_obj(...)``: NAME with each array passed as the ndarray object
    itself (ctypes ``py_object``: no conversion at all), its data pointer read at
    ``NAME_data_offset`` bytes (``PyArrayObject``'s ``data`` follows the object header). The
    loader sets the offset after checking it on a probe array, and uses this entry only then.
    """
    params, args = [], []
    for k, _ in enumerate(sig.outputs):
        params.append(f"const void *o{k}")
        args.append(f"SYMOPT_DATA(o{k})")
    for k, arg in enumerate(sig.inputs):
        params.append(f"const void *a{k}" if arg.is_array else f"double a{k}")
        args.append(f"SYMOPT_DATA(a{k})" if arg.is_array else f"a{k}")
    offset = offset_name(sig.name)
    return "\n".join(
        [
            "",
            f"ptrdiff_t {offset} = -1;",
            f"#define SYMOPT_DATA(o) (*(double *const *)((const char *)(o) + {offset}))",
            f"void {object_name(sig.name)}({', '.join(params) or 'void'}) {{",
            f"    {sig.name}({', '.join(args)});",
            "}",
            "",
        ]
    )


def many_wrapper(sig: Signature) -> str:
    """C source of ``void NAME_many(n, out, out_stride, in, in_stride)``.

    ``out[k]``/``in[k]`` point at the first row of output/input ``k``; row ``i`` of it starts
    ``i * stride[k]`` doubles further (a stride of 0 repeats one row for every point). A scalar
    input is read from its row, a scalar output written to its row.
    """
    n_out, n_in = len(sig.outputs), len(sig.inputs)
    lines = [
        "",
        "#include <stddef.h>",
        "",
        f"void {many_name(sig.name)}(ptrdiff_t n, double *const *out, const ptrdiff_t *os,",
        "        const double *const *in, const ptrdiff_t *is) {",
    ]
    lines += [f"    double *o{k} = out[{k}]; ptrdiff_t os{k} = os[{k}];" for k in range(n_out)]
    lines += [f"    const double *a{k} = in[{k}]; ptrdiff_t is{k} = is[{k}];" for k in range(n_in)]
    args = [f"o{k} + i * os{k}" for k in range(n_out)]
    for k, arg in enumerate(sig.inputs):
        args.append(f"a{k} + i * is{k}" if arg.is_array else f"a{k}[i * is{k}]")
    if n_in == 0:
        lines.append("    (void)in; (void)is;")
    lines += [
        "    for (ptrdiff_t i = 0; i < n; i++) {",
        f"        {sig.name}({', '.join(args)});",
        "    }",
        "}",
        "",
    ]
    return "\n".join(lines)
