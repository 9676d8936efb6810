"""Governance: the program's rules, its public page, and the figures it publishes."""
