"""The outside world: calendar files, messaging, claims, documents and other systems."""
