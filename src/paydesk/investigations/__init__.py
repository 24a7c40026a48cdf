"""Investigations: diagnosis rules that say what happened to a transaction and what to do next."""
