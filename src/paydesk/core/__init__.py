"""Core: money, clock, audit log, roles, API tokens, errors and the periodic-job registry."""
