"""Command-line interface (click). All I/O lives here; the core is :func:`symopt.optimize`."""
