"""Shared code for the Tashkent RATS SCO / CIS conference report."""

__version__ = "0.1.0"
