"""Adaptors: one module per system, each a set of operation factories (``common`` is OpenFn language-common)."""
