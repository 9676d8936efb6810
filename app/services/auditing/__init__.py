"""Auditing: the hash-chained log every access writes, and everything that reads it back."""
