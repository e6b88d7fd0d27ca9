"""Loading an app/ folder (SPEC §13): folders are the URL; problems name their file."""

from __future__ import annotations

from pathlib import Path

import pytest

from notebook_routes._loader import load_app_folder


def write(root: Path, folder: str, source: str) -> Path:
    path = root / folder / "route.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)
    return path


HELLO = "async def GET():\n    return {'ok': True}\n"


def test_folders_become_routes_with_groups_and_private_folders_skipped(tmp_path):
    write(tmp_path, "", HELLO)
    write(tmp_path, "(shop)/items/[slug]", HELLO)
    write(tmp_path, "_lib/helpers", HELLO)
    app, problems = load_app_folder(tmp_path)
    assert problems == []
    assert [r.source for r in app.routes] == ["/", "/(shop)/items/[slug]"]
    assert app.match("/items/a").params == {"slug": "a"}


def test_pattern_errors_name_the_file_and_the_rest_is_served(tmp_path):
    bad = write(tmp_path, "c/[...rest]/more", HELLO)
    write(tmp_path, "ok", HELLO)
    app, problems = load_app_folder(tmp_path)
    assert [r.source for r in app.routes] == ["/ok"]
    (problem,) = problems
    assert problem.file == bad
    assert str(problem) == (
        f'{bad}: Catch-all must be the last part of the URL in route "/c/[...rest]/more".'
    )


def test_a_file_that_raises_on_import_is_reported(tmp_path):
    bad = write(tmp_path, "boom", "raise RuntimeError('no db')\n")
    _, problems = load_app_folder(tmp_path)
    assert problems[0].file == bad
    assert problems[0].message.startswith("RuntimeError: no db (line 1 of")


def test_conflicts_are_loaded_and_listed(tmp_path):
    write(tmp_path, "(g1)/dup", HELLO)
    write(tmp_path, "(g2)/dup", HELLO)
    app, _ = load_app_folder(tmp_path)
    assert [c.message for c in app.conflicts] == [
        "Conflicting routes at /dup: route at /(g2)/dup/route and route at /(g1)/dup/route"
    ]


def test_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_app_folder(tmp_path / "nope")


def test_static_routes_are_prerendered_at_load_and_error_violations_reported(tmp_path):
    write(tmp_path, "static", "dynamic = 'force-static'\ndef GET():\n    return 'built'\n")
    bad = write(
        tmp_path,
        "api/err",
        "from notebook_routes import headers\n"
        "dynamic = 'error'\n"
        "def GET():\n    headers()\n    return 'x'\n",
    )
    app, problems = load_app_folder(tmp_path)
    assert [e.key for e in app.cache.entries()] == ["/static"]
    assert [str(p) for p in problems] == [
        f'{bad}: Route /api/err with `dynamic = "error"` couldn\'t be rendered statically '
        "because it used `headers()`."
    ]
