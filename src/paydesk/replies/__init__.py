"""Replies: macros in English and Russian, the Tone of Voice guide and its linter."""
