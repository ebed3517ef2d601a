"""Collections in the management API (behind Airflow login), for the Collections page and for scripts:

* ``GET /openfn/api/collections?project=``: each collection with its item count and size in bytes;
* ``POST /openfn/api/collections`` ``{"project", "name"}``: create one (201);
* ``GET /openfn/api/collections/<project>/<name>/items?key=<pattern>&cursor=&limit=``: a page of keys,
  each with a preview of its value (200 characters) and its length;
* ``GET /openfn/api/collections/<project>/<name>/items/<key>``: one item, whole;
* ``DELETE .../items/<key>``, ``DELETE .../items?key=<pattern>`` and ``DELETE /openfn/api/collections/<project>/<name>``
  (the collection and every item in it).

Reading needs read permission on every DAG of the project, as for its messages (access.py); creating and
deleting need edit permission on them. Another project's collection is "not found", like a missing one.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse

from openfn.errors import Forbidden, InvalidRequest, NotFound
from openfn.inbox.api.access import Access, dag_ids_of, may_edit, project_access
from openfn.inbox.api.login import require_user
from openfn.inbox.services import InboxServices, Services
from openfn.inbox.store import collections as store

router = APIRouter(prefix="/api/collections", tags=["collections"], dependencies=[Depends(require_user)])
Allowed = Annotated[Access, Depends(project_access)]
PREVIEW_CHARS = 200


class NewCollection(BaseModel):
    project: str = Field(min_length=1)
    name: str = Field(min_length=1, max_length=250, pattern=r"^[a-z0-9][a-z0-9._-]*$",
                      description="Lower-case letters, digits, '-', '_' and '.' (as Lightning names them)")  # fmt: skip


def _readable(access: Access, project: str) -> None:
    if not access.can_read(project):
        raise NotFound("project", project, fix="Check the name on the Projects page, or ask for read access to its DAGs.")


def _may_change(services: InboxServices, access: Access, project: str) -> None:
    found = services.catalog.get(project)
    dag_ids = dag_ids_of(found.project) if found else []
    if not may_edit(access.user, dag_ids):
        raise Forbidden(f"You may not change the collections of project {project}", fix="Ask an Airflow admin for edit permission on its DAGs.")


def _collection(services: InboxServices, access: Access, project: str, name: str) -> store.Collection:
    _readable(access, project)
    found = store.find(services.database, project, name)
    if found is None:
        raise NotFound("collection", f"{project}/{name}", fix="See GET /openfn/api/collections for the collections you may read.")
    return found


@router.get("", summary="Collections with their item counts and sizes")
def list_collections(access: Allowed, services: Services, project: str | None = None) -> JSONResponse:
    services.declare_collections()
    projects = access.restriction if project is None else (frozenset({project}) if access.can_read(project) else frozenset())
    rows = store.listing(services.database, projects)
    known = services.catalog.snapshot().projects
    for row in rows:
        found = known.get(row["project"])
        row["may_delete"] = may_edit(access.user, dag_ids_of(found.project) if found else [])
    return JSONResponse({"collections": rows})


@router.post("", status_code=201, summary="Create a collection")
def create_collection(body: NewCollection, access: Allowed, services: Services) -> JSONResponse:
    _readable(access, body.project)
    _may_change(services, access, body.project)
    (made,) = store.ensure(services.database, body.project, [body.name])
    return JSONResponse({"project": made.project, "name": made.name, "created_at": made.created_at}, status_code=201)


def _cursor(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii"))
    except (ValueError, binascii.Error, UnicodeError):
        raise InvalidRequest(f"cursor={text!r} is not a cursor this API returned", fix="Pass back the cursor of the previous page.") from None


@router.get("/{project}/{name}/items", summary="A page of keys with value previews")
def list_items(project: str, name: str, access: Allowed, services: Services, key: str | None = None, cursor: str | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> JSONResponse:  # fmt: skip
    collection = _collection(services, access, project, name)
    rows = store.page(services.database, collection, store.Filters(pattern=key or None), after_id=_cursor(cursor), limit=limit + 1)
    shown = rows[:limit]
    items = [{"key": r.key, "preview": r.value[:PREVIEW_CHARS], "chars": len(r.value), "created": r.created_at, "updated": r.updated_at}
             for r in shown]  # fmt: skip
    more = len(rows) > limit
    next_cursor = base64.urlsafe_b64encode(str(shown[-1].id).encode()).decode().rstrip("=") if more else None
    return JSONResponse({"items": items, "cursor": next_cursor})


@router.get("/{project}/{name}/items/{key:path}", summary="One item, its whole value")
def get_item(project: str, name: str, key: str, access: Allowed, services: Services) -> JSONResponse:
    row = store.get_item(services.database, _collection(services, access, project, name), key)
    if row is None:
        raise NotFound("key", key, fix="Browse the collection's keys for the right one.")
    return JSONResponse({"key": row.key, "value": row.value, "created": row.created_at, "updated": row.updated_at})


@router.delete("/{project}/{name}/items/{key:path}", summary="Delete one item")
async def delete_item(project: str, name: str, key: str, access: Allowed, services: Services) -> JSONResponse:
    def run() -> int:
        collection = _collection(services, access, project, name)
        _may_change(services, access, project)
        return int(store.delete_key(services.database, collection, key))

    return JSONResponse({"deleted": await run_in_threadpool(run)})


@router.delete("/{project}/{name}/items", summary="Delete every item matching a key pattern")
async def delete_items(project: str, name: str, access: Allowed, services: Services, key: str) -> JSONResponse:
    def run() -> int:
        collection = _collection(services, access, project, name)
        _may_change(services, access, project)
        return store.delete_matching(services.database, collection, store.Filters(pattern=key))

    return JSONResponse({"deleted": await run_in_threadpool(run)})


@router.delete("/{project}/{name}", summary="Delete a collection and every item in it")
async def delete_collection(project: str, name: str, access: Allowed, services: Services) -> JSONResponse:
    def run() -> int:
        collection = _collection(services, access, project, name)
        _may_change(services, access, project)
        return store.drop(services.database, collection)

    return JSONResponse({"deleted_items": await run_in_threadpool(run)})
