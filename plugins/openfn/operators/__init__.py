"""Thin Airflow operators: they assemble state and delegate to openfn.runtime."""

from openfn.operators.chain import OpenFnTriggerOperator
from openfn.operators.job import OpenFnJobOperator

__all__ = ["OpenFnJobOperator", "OpenFnTriggerOperator"]
