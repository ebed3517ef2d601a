"""Airflow plugin file of a checkout: Airflow imports every .py file directly in plugins/ and registers the
plugin class it finds here (openfn/plugin.py). An installed package registers the same class through its
``airflow.plugins`` entry point instead; the ``openfn`` package itself is skipped by plugins/.airflowignore.
"""

from __future__ import annotations

from openfn.plugin import OpenFnPlugin

__all__ = ["OpenFnPlugin"]
