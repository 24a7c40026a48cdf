"""Reconciliation: PSP report parsers, the matcher, discrepancies and their exports."""
