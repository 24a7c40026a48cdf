"""Reports: SLA, volumes, backlog, escalations, root causes; CSV/XLSX/Sheets exports."""
