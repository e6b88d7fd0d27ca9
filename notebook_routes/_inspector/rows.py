"""Rows of HTML with buttons, drawn by reusing a fixed set of widgets.

A redraw only changes traits of widgets that already exist: creating widgets on every
refresh would send a message per widget to the front end and leak them in the kernel.
A button acts on the key its row shows *now*, so reusing a row for another item is safe::

    >>> clicked = []
    >>> pool = RowPool([Action("purge", "purge", "Drop it")], lambda name, key: clicked.append(key))
    >>> pool.show([RowView(key="/a", html="<b>/a</b>"), RowView(key="/b", html="<b>/b</b>")])
    >>> pool.rows[1].buttons["purge"].click()
    >>> clicked
    ['/b']
    >>> pool.show([RowView(key="/c", html="/c")])
    >>> pool.rows[0].buttons["purge"].click(); clicked
    ['/b', '/c']
    >>> pool.rows[1].box.layout.display
    'none'
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import ipywidgets as widgets


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    tooltip: str
    first: bool = False  # before the row's HTML (an expand toggle) rather than after it
    width: str = "auto"


@dataclass(frozen=True)
class RowView:
    """What one row shows: its HTML, an optional detail below it, button overrides."""

    key: Hashable
    html: str
    detail: str | None = None  # None: the detail area is hidden
    labels: Mapping[str, str] = field(default_factory=dict)
    disabled: Collection[str] = ()


class Row:
    def __init__(self, actions: Sequence[Action], on_click: Callable[[Row, str], None]) -> None:
        self.key: Hashable = None
        # Cells and buttons keep their width (a narrow panel scrolls instead of squeezing
        # the buttons to "t..." and "r...").
        self.cells = widgets.HTML(layout=widgets.Layout(flex="0 0 auto"))
        self.buttons: dict[str, widgets.Button] = {}
        for action in actions:
            button = widgets.Button(
                description=action.label,
                tooltip=action.tooltip,
                layout=widgets.Layout(
                    width=action.width,
                    min_width=action.width,
                    height="24px",
                    margin="0 2px",
                    flex="0 0 auto",
                ),
            )
            button.add_class(f"nr-{action.name}")
            button.on_click(lambda _b, name=action.name: on_click(self, name))
            self.buttons[action.name] = button
        leading = [self.buttons[a.name] for a in actions if a.first]
        trailing = [self.buttons[a.name] for a in actions if not a.first]
        line = widgets.HBox(
            [*leading, self.cells, *trailing],
            layout=widgets.Layout(align_items="center", min_width="max-content"),
        )
        self.detail = widgets.HTML(layout=widgets.Layout(display="none", margin="0 0 6px 34px"))
        self.box = widgets.VBox([line, self.detail])

    def show(self, view: RowView, actions: Sequence[Action]) -> None:
        self.key = view.key
        self.cells.value = view.html
        for action in actions:
            button = self.buttons[action.name]
            button.description = view.labels.get(action.name, action.label)
            button.disabled = action.name in view.disabled
        if view.detail is None:
            self.detail.layout.display = "none"
            self.detail.value = ""
        else:
            self.detail.value = view.detail
            self.detail.layout.display = ""
        self.box.layout.display = ""

    def hide(self) -> None:
        self.key = None
        self.box.layout.display = "none"

    def close(self) -> None:
        self.box.close()
        self.cells.close()
        self.detail.close()
        for button in self.buttons.values():
            button.close()


class RowPool:
    """A column of `Row`s; `show` draws a list of `RowView`s, growing the pool as needed."""

    def __init__(
        self,
        actions: Sequence[Action],
        on_action: Callable[[str, Hashable], None],
        *,
        css_class: str = "nr-row",
    ) -> None:
        self.actions = list(actions)
        self.on_action = on_action
        self.css_class = css_class
        self.rows: list[Row] = []
        self.box = widgets.VBox()

    def show(self, views: Sequence[RowView]) -> None:
        while len(self.rows) < len(views):
            row = Row(self.actions, self._clicked)
            row.box.add_class(self.css_class)
            self.rows.append(row)
            self.box.children = tuple(r.box for r in self.rows)
        for row, view in zip(self.rows, views, strict=False):
            row.show(view, self.actions)
        for row in self.rows[len(views) :]:
            row.hide()

    def _clicked(self, row: Row, name: str) -> None:
        if row.key is not None:
            self.on_action(name, row.key)

    def close(self) -> None:
        for row in self.rows:
            row.close()
        self.box.close()


__all__ = ["Action", "Row", "RowPool", "RowView"]
