"""REST API under /api/v1/ (django-ninja): thin handlers that parse, call one service or selector, map errors."""
