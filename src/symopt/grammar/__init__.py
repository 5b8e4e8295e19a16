"""Parsing the input language into IR terms."""

from symopt.grammar.parser import parse_expr, parse_expression_file, parse_pattern

__all__ = ["parse_expr", "parse_expression_file", "parse_pattern"]
