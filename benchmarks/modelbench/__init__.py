"""Helpers of ``benchmarks/models.py``: C variants of BioNetGen ODE models, built and measured."""
