"""Use cases. Each checks permissions, writes the audit log and announces what changed."""
