"""Paydesk: the payments support desk."""

__version__ = "0.1.0"
