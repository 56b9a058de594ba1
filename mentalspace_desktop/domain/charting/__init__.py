"""Clinical charting rules: note life cycle, templates, the per-client hash chain, plans, diffs.

Pure: no Qt, no SQLAlchemy, no I/O. Services apply these rules to what the store holds.
"""
