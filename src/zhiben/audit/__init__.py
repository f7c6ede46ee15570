"""Tamper-evident audit log: entries chained by SHA-256, appended in the same transaction as the change."""
