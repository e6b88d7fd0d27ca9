"""The OpenAPI 3.1 description: learnt from the route table and from the request log,
served at /_notebook_routes/openapi.json, written by `notebook-routes openapi DIR`, and
valid (openapi-spec-validator) for a hand-made app, the seed examples and every demo notebook."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Literal, TypedDict

import pytest
from openapi_spec_validator import validate

from notebook_routes import App, NextRequest, Server, openapi
from notebook_routes._client import send
from notebook_routes._openapi import Body, Query
from notebook_routes.routing import RouteError

try:  # pydantic is optional; hints are resolved in this module's globals
    from tests.openapi_models import Customer
except ImportError:
    Customer = None

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "notebooks" / "app"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


class NewItem(TypedDict):
    """An item to create."""

    name: str
    price: float


class Search(TypedDict, total=False):
    q: str
    tag: list[str]


@dataclasses.dataclass
class Order:
    item: str
    quantity: int = 1


class Created(TypedDict):
    id: int
    status: Literal["created"]


async def get_items(request: Annotated[NextRequest, Query(Search)], context):
    """List the items.

    Filtered by ``q`` and by any number of ``tag``.
    """
    return {"items": [], "q": request.next_url.search_params.get("q")}


async def post_items(request: Annotated[NextRequest, Body(NewItem)], context) -> Created:
    """Create an item."""
    data = await request.json()
    if "name" not in data:
        return Response_json({"error": "name is required"}, 422)
    return {"id": 1, "status": "created", "owner": "ann@example.org", "token": "s3cret"}


def Response_json(data: object, status: int) -> object:  # noqa: N802 - reads like Response.json
    from notebook_routes import Response

    return Response.json(data, status=status)


def post_order(request: Annotated[NextRequest, Order]):
    """Order something (a dataclass body, given bare)."""
    return {"ok": True}


def get_slug(request, context):
    return {"slug": context.params["slug"]}


def get_static():
    """A static page of facts."""
    return {"facts": 3}


@pytest.fixture
def app() -> App:
    app = App()
    app.add("/(shop)/items", {"GET": get_items, "POST": post_items})
    app.add("/orders", {"POST": post_order})
    app.add("/items/[slug]", {"GET": get_slug})
    app.add("/blog/[...slug]", {"GET": get_slug})
    app.add("/docs/[[...slug]]", {"GET": get_slug})
    app.add("/facts", {"GET": get_static, "dynamic": "force-static"})
    app.add("/news", {"GET": get_static, "revalidate": 60})
    return app


@pytest.fixture
def served(app: App) -> Iterator[Server]:
    server = Server(app).start()
    try:
        yield server
    finally:
        server.stop()


def test_paths_from_the_route_table(app: App) -> None:
    doc = openapi(app)
    validate(doc)
    assert sorted(doc["paths"]) == [
        "/blog/{slug}",
        "/docs",
        "/docs/{slug}",
        "/facts",
        "/items",  # the (shop) group is dropped
        "/items/{slug}",
        "/news",
        "/orders",
    ]
    slug = doc["paths"]["/items/{slug}"]["parameters"][0]
    assert slug["in"] == "path" and slug["required"] is True and slug["name"] == "slug"
    catch_all = doc["paths"]["/blog/{slug}"]["parameters"][0]
    assert "One or more path segments joined by '/'" in catch_all["description"]
    assert catch_all["x-notebook-routes-segments"] == "one-or-more"
    assert "parameters" not in doc["paths"]["/docs"]  # [[...slug]]'s bare path
    assert "optional catch-all" in doc["paths"]["/docs/{slug}"]["parameters"][0]["description"]


def test_methods_with_automatic_head_and_options(app: App) -> None:
    paths = openapi(app)["paths"]
    assert sorted(paths["/items"]) == ["get", "head", "options", "post"]
    assert sorted(paths["/orders"]) == ["options", "post"]
    options = paths["/orders"]["options"]["responses"]["204"]
    assert options["headers"]["Allow"]["schema"]["const"] == "OPTIONS, POST"
    assert "automatic HEAD" in paths["/items"]["head"]["summary"]


def test_docstrings_and_type_hints(app: App) -> None:
    items = openapi(app)["paths"]["/items"]
    assert items["get"]["summary"] == "List the items."
    assert items["get"]["description"] == "Filtered by ``q`` and by any number of ``tag``."
    query = {p["name"]: p for p in items["get"]["parameters"]}
    assert query["q"] == {
        "name": "q",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
    }
    assert query["tag"]["schema"] == {"type": "array", "items": {"type": "string"}}
    body = items["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["name", "price"]
    assert body["properties"]["price"] == {"type": "number"}
    assert body["description"] == "An item to create."
    created = items["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert created["properties"]["status"] == {"enum": ["created"]}
    order = openapi(app)["paths"]["/orders"]["post"]["requestBody"]["content"]["application/json"]
    assert order["schema"]["required"] == ["item"]  # quantity has a default


def test_a_pydantic_model_body() -> None:
    if Customer is None:
        pytest.skip("pydantic is not installed")

    def POST(request: Annotated[NextRequest, Body(Customer)]):  # noqa: N802
        return {}

    app = App()
    app.add("/customers", {"POST": POST})
    doc = openapi(app)
    validate(doc)
    schema = doc["paths"]["/customers"]["post"]["requestBody"]["content"]["application/json"]
    assert schema["schema"]["properties"]["address"]["properties"]["city"]["type"] == "string"
    assert "$defs" not in json.dumps(doc)  # references inlined: #/$defs means nothing here


def test_static_and_isr_routes_are_marked(app: App) -> None:
    paths = openapi(app)["paths"]
    assert paths["/facts"]["get"]["x-notebook-routes-cache"]["rendering"] == "static"
    assert paths["/news"]["get"]["x-notebook-routes-cache"]["revalidate"] == 60
    assert "every 60 s" in paths["/news"]["get"]["description"]
    assert "x-notebook-routes-cache" not in paths["/items/{slug}"]["get"]


def test_responses_learnt_from_traffic(app: App, served: Server) -> None:
    assert send(served.url, "POST", "/items", json={"name": "pen", "price": 2}).status == 200
    assert send(served.url, "POST", "/items", json={"price": 2}).status == 422
    assert send(served.url, "GET", "/items/pen?color=red").status == 200
    assert send(served.url, "DELETE", "/items/pen").status == 405

    doc = openapi(app)
    validate(doc)
    post = doc["paths"]["/items"]["post"]
    ok = post["responses"]["200"]
    assert ok["x-notebook-routes-seen"] == 1
    example = ok["content"]["application/json"]["example"]
    assert example == {"id": 1, "status": "created", "owner": "<redacted>", "token": "<redacted>"}
    refused = post["responses"]["422"]
    assert refused["description"].startswith("Unprocessable")  # the phrase per Python
    assert refused["content"]["application/json"]["example"] == {"error": "name is required"}
    assert post["requestBody"]["content"]["application/json"]["example"] == {"price": 2}
    get_slug = doc["paths"]["/items/{slug}"]["get"]
    assert get_slug["parameters"][0]["name"] == "color"  # a query seen in traffic
    # 405 is not an operation of its own: DELETE is not in the document
    assert "delete" not in doc["paths"]["/items/{slug}"]

    quiet = openapi(app, traffic=False)
    assert "422" not in quiet["paths"]["/items"]["post"]["responses"]
    assert "x-notebook-routes-seen" not in json.dumps(quiet)


def test_served_at_a_private_path_and_not_logged(app: App, served: Server) -> None:
    answer = send(served.url, "GET", "/_notebook_routes/openapi.json")
    assert answer.status == 200
    assert answer.headers["content-type"] == "application/json"
    doc = answer.json()
    validate(doc)
    assert doc["servers"][0]["url"] == ".."  # the app's root, behind a proxy prefix too
    assert send(served.url, "HEAD", "/_notebook_routes/openapi.json").text == ""
    refused = send(served.url, "POST", "/_notebook_routes/openapi.json")
    assert (refused.status, refused.headers["allow"]) == (405, "GET, HEAD")
    missing = send(served.url, "GET", "/_notebook_routes/nothing")
    assert missing.status == 404 and "/_notebook_routes/docs" in missing.text
    assert len(app.log) == 0
    with pytest.raises(RouteError, match="private folder"):
        app.add("/_notebook_routes/openapi.json", {"GET": get_static})


def test_a_handler_with_unreadable_hints_is_still_described() -> None:
    def GET(request: NoSuchType, context) -> AlsoMissing:  # noqa: F821,N802
        """Still here."""
        return {}

    app = App()
    app.add("/odd", {"GET": GET})
    doc = openapi(app)
    validate(doc)
    assert doc["paths"]["/odd"]["get"]["summary"] == "Still here."


def test_cli_writes_the_seed_examples_document(tmp_path: Path) -> None:
    out = tmp_path / "openapi.json"
    done = subprocess.run(
        [sys.executable, "-m", "notebook_routes", "openapi", str(APP), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    doc = json.loads(out.read_text())
    validate(doc)
    assert {"/catalog", "/docs", "/docs/{slug}", "/shop/{tag}/{item}", "/rss.xml"} <= set(
        doc["paths"]
    )
    missing = subprocess.run(
        [sys.executable, "-m", "notebook_routes", "openapi", str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 2 and "is not a folder" in missing.stderr


@pytest.mark.timeout(300)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_demo_notebook_is_described(notebook: Path) -> None:
    """The notebook runs in a real kernel (`notebook-routes run`), its own requests fill the
    log, and the served document, traffic and all, validates."""
    process = subprocess.Popen(
        [sys.executable, "-m", "notebook_routes", "run", str(notebook), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=notebook.parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        url = None
        for line in process.stdout:
            if found := re.search(r"running .* at (http://\S+)", line):
                url = found.group(1)
                break
        assert url, process.stderr.read() if process.stderr else ""
        answer = send(url, "GET", "/_notebook_routes/openapi.json")
        assert answer.status == 200
        doc = answer.json()
        validate(doc)
        assert doc["paths"], "the notebook defines routes"
    finally:
        process.terminate()
        process.wait(30)


def test_a_module_form_cell_body_hint_names_the_notebooks_classes() -> None:
    # A %%route cell runs with `from __future__ import annotations` in globals of its own
    # that see the notebook's names only by lookup: the hint must still resolve.
    from notebook_routes._cells import module_namespace

    notebook = {"Annotated": Annotated, "NextRequest": NextRequest, "Body": Body}
    notebook["NewItem"] = NewItem
    source = (
        "async def POST(request: Annotated[NextRequest, Body(NewItem)], context):\n"
        '    """Add an item."""\n'
        "    return Response.json(await request.json(), status=201)\n"
    )
    app = App()
    app.add("/items", module_namespace(source, notebook=notebook))
    doc = openapi(app)
    validate(doc)
    post = doc["paths"]["/items"]["post"]
    assert post["summary"] == "Add an item."
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["name", "price"]
