"""Agent console (server-rendered Django templates + htmx)."""
