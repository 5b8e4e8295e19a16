"""Per-operator CPU-cycle cost tables."""

from symopt.costs.table import BUILTIN_TABLES, CostTable, load_cost_table, parse_cost_table

__all__ = ["BUILTIN_TABLES", "CostTable", "load_cost_table", "parse_cost_table"]
