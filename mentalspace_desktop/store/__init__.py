"""The encrypted local store: SQLAlchemy models, the SQLCipher engine, key slots and migrations."""
