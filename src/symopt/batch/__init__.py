"""``symopt batch``: many model files compiled at once, in local worker processes or on a Dask
cluster. Discovery, digests, the pure per-file job, the worker pool and the report live in their
own modules; the command is :mod:`symopt.cli.batch`."""
