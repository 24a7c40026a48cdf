"""Tickets: registration, messages, lifecycle, assignment, merge and incidents."""
