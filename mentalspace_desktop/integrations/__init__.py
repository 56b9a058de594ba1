"""Adapters to the outside world: calendar files, PDF documents, messaging, claims and other systems.
Services call these; they know no store."""
