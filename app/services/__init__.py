"""Business rules with I/O through the models. No Flask here: workers and the CLI reuse them."""
