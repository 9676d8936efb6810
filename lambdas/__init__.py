"""Background workers: one folder each, a Powertools `handler.py`, triggered by SQS."""
