"""SLA: policies, business calendars, deadlines, warnings and breaches."""
