"""Administration screens: staff accounts, the audit log, practice settings."""
