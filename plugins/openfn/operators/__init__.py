"""Thin Airflow operators: they assemble a step's input and delegate to openfn.runtime.

``step.OpenFnStepOperator`` runs every step (a v1 job's ``run`` task, each workflow step task),
``result.OpenFnResultOperator`` makes the DAG run's state the run's result, ``chain.OpenFnTriggerOperator``
starts a flow/fail job. Import them from their modules: the chain module pulls in Airflow's
TriggerDagRunOperator, which is slow to import and not needed by every task.
"""
