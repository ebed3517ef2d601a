"""Thin Airflow operators: they assemble state and delegate to openfn.runtime.

Import them from their modules (``openfn.operators.job``, ``.chain``, ``.result``): the chain module
pulls in Airflow's TriggerDagRunOperator, which is slow to import and not needed by every task.
"""
