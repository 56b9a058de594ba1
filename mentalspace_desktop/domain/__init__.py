"""Pure business rules: no Qt, no SQLAlchemy, no I/O. Tested without a database."""
