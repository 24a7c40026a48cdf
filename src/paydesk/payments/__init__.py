"""Payments: players, payment methods, PSPs, transactions, their state machines and timelines."""
