"""The request rows of the Requests tab, drawn with as few widget messages as possible.

At 500 requests a second every visible row changes on every refresh, and each changed
widget is one message through the kernel, paid for with GIL time the server thread
needs. So a run of collapsed rows is *one* HTML table beside a column of toggle
buttons; an expanded row ends its run and shows its detail below it. With no row
expanded, a refresh sends one message for the whole table::

    >>> from notebook_routes._log import LogEntry
    >>> from notebook_routes._inspector.state import RequestRow
    >>> rows = [RequestRow(n, LogEntry(0.0, "GET", f"/r{n}", None, {}, 200, 1.0))
    ...         for n in (3, 2, 1)]
    >>> table = RequestTable(lambda row: f"<td>{row.entry.path}</td>", lambda row: "detail",
    ...                      [80])
    >>> table.show(rows, expanded=set())
    >>> len(table.visible_segments()), table.segments[0].lines.value.count("nr-request-row")
    (1, 3)
    >>> table.buttons[1].click()                     # expand the second row, /r2
    >>> table.expanded
    {2}
    >>> [len(s.rows) for s in table.visible_segments()]
    [2, 1]

Optional per-row buttons (`actions`) stand in a column each, right of the lines; a click
calls ``on_action(name, row)`` with the row shown there now::

    >>> clicked = []
    >>> table = RequestTable(lambda row: f"<td>{row.entry.path}</td>", lambda row: "",
    ...                      [80], actions=[RowAction("replay", "replay", "Send it again")],
    ...                      on_action=lambda name, row: clicked.append((name, row.seq)))
    >>> table.show(rows, expanded=set())
    >>> table.action_buttons["replay"][2].click()
    >>> clicked
    [('replay', 1)]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as widgets

from notebook_routes._inspector.format import MONO
from notebook_routes._inspector.state import RequestRow

ROW_HEIGHT = 26  # px: the table rows and the toggle buttons beside them must line up
OPEN, CLOSED = "▾", "▸"
# One stylesheet for every row, rather than the same inline styles on every cell.
STYLE = (
    "<style>.nr-rq{table-layout:fixed;border-collapse:collapse;border-spacing:0;margin:0}"
    f".nr-rq td,.nr-rq th{{{MONO};height:{ROW_HEIGHT}px;line-height:{ROW_HEIGHT}px;"
    "padding:0 6px 0 0;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;"
    "text-align:left;border:none}.nr-rq th{font-weight:600}</style>"
)


@dataclass(frozen=True)
class RowAction:
    """A button on every row: its name (for `on_action` and the CSS class), label, tooltip."""

    name: str
    label: str
    tooltip: str
    width: str = "auto"


def table_html(widths: Sequence[int], rows: str) -> str:
    """`rows` (``<tr>`` elements) in a table with fixed column `widths` in px."""
    cols = "".join(f'<col style="width:{w}px">' for w in widths)
    return f'{STYLE}<table class="nr-rq" style="width:{sum(widths)}px">{cols}{rows}</table>'


def _set(widget: widgets.Widget, name: str, value: object) -> None:
    """Set a trait only when it changes: even an unchanged assignment runs traitlets'
    validation, and this runs for every row on every refresh."""
    if getattr(widget, name) != value:
        setattr(widget, name, value)


class Segment:
    """A run of rows: toggles on the left, their lines in one HTML, then an optional detail."""

    def __init__(self, actions: Sequence[RowAction] = ()) -> None:
        self.rows: list[RequestRow] = []
        self.toggles = widgets.VBox(layout=widgets.Layout(width="30px", flex="0 0 30px"))
        # With buttons after the lines, the lines keep the table's width so the buttons
        # stand beside it rather than at the panel's far edge.
        flex = "0 0 auto" if actions else "1 1 auto"
        self.lines = widgets.HTML(layout=widgets.Layout(flex=flex, margin="0"))
        self.lines.add_class("nr-request-lines")
        self.columns = {
            a.name: widgets.VBox(layout=widgets.Layout(flex="0 0 auto", margin="0 0 0 4px"))
            for a in actions
        }
        self.detail = widgets.HTML(layout=widgets.Layout(display="none", margin="0 0 6px 34px"))
        run = widgets.HBox(
            [self.toggles, self.lines, *self.columns.values()], layout=widgets.Layout(margin="0")
        )
        self.box = widgets.VBox([run, self.detail], layout=widgets.Layout(margin="0"))

    def close(self) -> None:
        for w in (self.toggles, self.lines, *self.columns.values(), self.detail, self.box):
            w.close()


class RequestTable:
    """Rows newest first; `expanded` (sequence numbers) survives rows moving down."""

    def __init__(
        self,
        cells: Callable[[RequestRow], str],
        detail: Callable[[RequestRow], str],
        widths: Sequence[int],
        *,
        rows: int = 0,
        capture: Callable[[Callable[..., None]], Callable[..., None]] = lambda f: f,
        actions: Sequence[RowAction] = (),
        on_action: Callable[[str, RequestRow], None] = lambda name, row: None,
    ) -> None:
        self.cells = cells
        self.detail = detail
        self.widths = list(widths)
        self.capture = capture
        self.actions = list(actions)
        self.on_action = on_action
        self.expanded: set[int] = set()
        self.rows: list[RequestRow] = []
        self._drawn: dict[int, str] = {}  # seq -> its <tr>, while it stays on screen
        self.box = widgets.VBox(layout=widgets.Layout(margin="0"))
        self.box.add_class("nr-request-table")
        self.on_toggle: Callable[[], None] = lambda: self.show(self.rows, self.expanded)
        # Made now, not when the first burst of requests arrives: creating widgets is the
        # costliest thing a refresh could do.
        self.buttons = [self._button(i) for i in range(rows)]
        self.action_buttons: dict[str, list[widgets.Button]] = {
            a.name: [self._action_button(a, i) for i in range(rows)] for a in self.actions
        }
        self.segments = [Segment(self.actions)]
        self.box.children = (self.segments[0].box,)

    def _button(self, index: int) -> widgets.Button:
        button = widgets.Button(
            description=CLOSED,
            tooltip="Show the request and response headers",
            layout=widgets.Layout(width="28px", height=f"{ROW_HEIGHT}px", margin="0", padding="0"),
        )
        button.add_class("nr-toggle")
        button.on_click(self.capture(lambda _b: self._toggle(index)))
        return button

    def _action_button(self, action: RowAction, index: int) -> widgets.Button:
        button = widgets.Button(
            description=action.label,
            tooltip=action.tooltip,
            layout=widgets.Layout(
                width=action.width, height=f"{ROW_HEIGHT}px", margin="0 2px 0 0", padding="0 6px"
            ),
        )
        button.add_class(f"nr-{action.name}")
        button.on_click(self.capture(lambda _b: self._act(action.name, index)))
        return button

    def _act(self, name: str, index: int) -> None:
        if index < len(self.rows):  # a button acts on the row it stands beside *now*
            self.on_action(name, self.rows[index])

    def _toggle(self, index: int) -> None:
        if index < len(self.rows):
            self.expanded ^= {self.rows[index].seq}
            self.on_toggle()

    def show(self, rows: Sequence[RequestRow], expanded: set[int]) -> None:
        self.rows = list(rows)
        self.expanded = expanded
        drawn = self._drawn
        self._drawn = {
            row.seq: drawn.get(row.seq)
            or f'<tr class="nr-request-row" data-seq="{row.seq}">{self.cells(row)}</tr>'
            for row in self.rows
        }
        while len(self.buttons) < len(self.rows):
            self.buttons.append(self._button(len(self.buttons)))
        for action in self.actions:
            column = self.action_buttons[action.name]
            while len(column) < len(self.rows):
                column.append(self._action_button(action, len(column)))
        runs: list[list[RequestRow]] = [[]]
        for row in self.rows:
            runs[-1].append(row)
            if row.seq in expanded:
                runs.append([])
        if not runs[-1] and len(runs) > 1:
            runs.pop()
        while len(self.segments) < len(runs):
            self.segments.append(Segment(self.actions))
            self.box.children = tuple(s.box for s in self.segments)
        start = 0
        for segment, run in zip(self.segments, runs, strict=False):
            self._draw(segment, run, self.buttons[start : start + len(run)])
            for name, column in segment.columns.items():
                shown = tuple(self.action_buttons[name][start : start + len(run)])
                if tuple(column.children) != shown:
                    column.children = shown
            start += len(run)
        for segment in self.segments[len(runs) :]:
            segment.rows = []
            _set(segment.box.layout, "display", "none")

    def _draw(self, segment: Segment, run: list[RequestRow], buttons: list[widgets.Button]) -> None:
        segment.rows = run
        if tuple(segment.toggles.children) != tuple(buttons):
            segment.toggles.children = tuple(buttons)
        for row, button in zip(run, buttons, strict=True):
            _set(button, "description", OPEN if row.seq in self.expanded else CLOSED)
        lines = "".join(self._drawn[row.seq] for row in run)
        segment.lines.value = table_html(self.widths, lines) if run else ""
        last = run[-1] if run else None
        if last is not None and last.seq in self.expanded:
            _set(segment.detail, "value", self.detail(last))
            _set(segment.detail.layout, "display", "")
        else:
            _set(segment.detail.layout, "display", "none")
        _set(segment.box.layout, "display", "" if run else "none")

    def visible_segments(self) -> list[Segment]:
        return [s for s in self.segments if s.rows]

    def close(self) -> None:
        for segment in self.segments:
            segment.close()
        for button in [*self.buttons, *(b for c in self.action_buttons.values() for b in c)]:
            button.close()
        self.box.close()


__all__ = ["ROW_HEIGHT", "RequestTable", "RowAction", "Segment", "table_html"]
