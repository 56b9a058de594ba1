"""Adapters to file formats and outside systems (PDF, …). Services call these; they know no store."""
