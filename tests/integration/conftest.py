"""Integration tests use the shared models."""

import tests.models  # noqa: F401  (registers the models before any database is created)
