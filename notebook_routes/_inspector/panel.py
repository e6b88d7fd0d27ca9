"""What every tab shares: it draws only while it is visible, and catches up when shown.

Each redraw sends widget messages through the kernel, and the kernel shares the GIL
with the server thread; a tab nobody looks at should cost nothing.

>>> class Counter(Panel):
...     def __init__(self):
...         self.drawn = []
...     def render(self, changed):
...         self.drawn.append(changed)
>>> tab = Counter()
>>> tab.draw(frozenset({"requests"})); tab.drawn
[frozenset({'requests'})]
>>> tab.show(False)
>>> tab.draw(frozenset({"requests"})); tab.draw(frozenset({"traffic"})); len(tab.drawn)
1
>>> tab.show(True); tab.drawn[-1] is None          # None: everything may have changed
True
"""

from __future__ import annotations


class Panel:
    active = True
    _behind = False

    def render(self, changed: frozenset[str] | None) -> None:
        """Redraw what `changed` names (state names), or everything when it is None."""
        raise NotImplementedError

    def draw(self, changed: frozenset[str] | None = None) -> None:
        if not self.active:
            self._behind = True
            return
        everything = self._behind or changed is None
        self._behind = False
        self.render(None if everything else changed)

    def show(self, active: bool) -> None:
        """Tell the panel whether its tab is visible."""
        self.active = active
        if active and self._behind:
            self.draw()


__all__ = ["Panel"]
