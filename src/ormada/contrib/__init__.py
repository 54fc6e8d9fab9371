"""Integrations of ormada with other frameworks, each an optional extra built on the public API."""
