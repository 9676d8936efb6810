"""People: accounts, sessions, MFA, sign-ups, resets, organisations, and leaving."""
