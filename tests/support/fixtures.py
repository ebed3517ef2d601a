"""Pytest fixtures shared by every test tier (registered by tests/conftest.py)."""
