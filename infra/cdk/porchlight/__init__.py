"""Porchlight's CDK constructs, one module per concern; stack.py puts them together."""
