"""The analysis the notebooks import: the facts, their checks, and what the report computes from them."""
