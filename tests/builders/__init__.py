"""Builders the test folders share: request bodies and small HTTP flows against the running app.

One module per domain (cameras, footage, bridges, push, field). Test modules import from here,
never from one another: importing a `test_*.py` module imports its tests too
(tests/unit/test_test_layout.py holds that).
"""
