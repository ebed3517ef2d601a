"""The Python API for hand-written DAGs (SPEC §12): wait for inbox messages, schedule on them, run OpenFn jobs.

    from openfn.sdk import OpenFnInboxSensor, OpenFnJobOperator, openfn_inbox_asset

* ``OpenFnInboxSensor(project=, criteria=, exclusion=, since=)``: a deferrable sensor that fires on the
  project's next inbox message whose body matches, and pushes its id and body.
* ``openfn_inbox_asset(project, criteria=...)``: an Asset with an ``AssetWatcher``; a DAG scheduled on it
  runs once per matching message, the message in the triggering asset event's ``extra["payload"]``.
* ``OpenFnJobOperator(task_id=, expression=, adaptor=, conn_id=)``: an OpenFn job, JavaScript or Python,
  as a task.

Bad arguments (an unknown project, a filter that is not a JSON object, an adaptor version that is not
installed) raise when the DAG file is parsed, naming the problem and the fix.
"""

from openfn.operators.job import JobArgumentError, OpenFnJobOperator
from openfn.sensors.arguments import InboxWatchArgumentError
from openfn.sensors.asset import openfn_inbox_asset
from openfn.sensors.sensor import OpenFnInboxSensor
from openfn.sensors.trigger import OpenFnInboxTrigger

__all__ = [
    "InboxWatchArgumentError",
    "JobArgumentError",
    "OpenFnInboxSensor",
    "OpenFnInboxTrigger",
    "OpenFnJobOperator",
    "openfn_inbox_asset",
]
