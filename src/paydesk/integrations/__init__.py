"""Integrations: ports (Protocols) and adapters for PSPs, Jira, Slack, Telegram and Google Sheets."""
