"""Hub use cases: each takes a database session and plain values, and knows nothing of HTTP."""
