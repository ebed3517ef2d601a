"""The inbox's persistence: the schema and every SQL statement the inbox runs (see test_architecture.py)."""
