"""Creates FAB roles (with per-DAG permissions) and users in a deployment's metadata database.

Run as a script with the deployment's environment (``python -m tests.support.fab_roles spec.json``), as
``airflow roles``/``airflow users`` would, but in one process: each CLI call costs seconds of imports.
The spec is ``{"roles": {name: {"base": "Viewer", "without": ["DAGs"], "add": [[action, resource], ...]}},
"users": [{"username", "password", "role"}]}``: a role starts from the permissions of ``base`` (one of
FAB's standard roles) less those on the ``without`` resources, plus ``add``. A resource that does not
exist yet (``DAG:<dag_id>`` before ``sync-perm``) is created with its permission.
"""

from __future__ import annotations

import json
import sys


def apply(spec: dict) -> None:
    from airflow.providers.fab.auth_manager.cli_commands.utils import get_application_builder

    with get_application_builder() as appbuilder:
        manager = appbuilder.sm
        for name, wanted in spec.get("roles", {}).items():
            role = manager.add_role(name)
            base = manager.find_role(wanted["base"]) if wanted.get("base") else None
            for permission in base.permissions if base else []:
                if permission.resource.name not in wanted.get("without", ()):
                    manager.add_permission_to_role(role, permission)
            for action, resource in wanted.get("add", ()):
                manager.add_permission_to_role(role, manager.create_permission(action, resource))
        for user in spec.get("users", []):
            if manager.find_user(username=user["username"]) is None:
                added = manager.add_user(
                    user["username"], user["username"], "Tester", f"{user['username']}@example.org",
                    manager.find_role(user["role"]), user["password"],
                )  # fmt: skip
                if not added:
                    raise RuntimeError(f"could not create user {user['username']}")


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as file:
        apply(json.load(file))
