"""PynamoDB models, one per table. Flask-free: the workers and the CLI use them too."""
