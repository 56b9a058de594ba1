"""HTTP endpoints by domain; each is thin: auth dependency → service → response schema."""
