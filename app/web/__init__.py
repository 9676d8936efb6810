"""Web plumbing shared by every blueprint: access control, CSRF, headers, errors, JSON input."""
