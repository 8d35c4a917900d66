"""The lifecycle diagram: an SVG drawn from the machine's own table
(``lifecycle.TRANSITIONS``), so it cannot drift from the code.

Only the layout is written here (where each state sits); the boxes, the
arrows and their labels come from the table. A state the layout does not
know gets a place in a row below the others, so a new state still shows. A
transition from three or more states (``withdraw``) is drawn as one arrow
out of a dashed frame around its sources, unless the frame would enclose a
state that is not one of them.

The SVG uses presentation attributes only (``fill=``, ``stroke=``): no
``style=`` and no ``<style>``, which the pages' Content-Security-Policy
forbids. Classes (``lc-state``, ``lc-current``, ``lc-arrow``) are hooks for
the stylesheet, not needed for the picture.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup, escape

from omd_gov.agreements.lifecycle import TRANSITIONS, State

COLUMN, ROW = 220, 90  # grid spacing
BOX_W, BOX_H = 150, 44
MARGIN = 24
FAN_MIN = 3  # sources from which a transition is drawn as one arrow out of a frame
INK, LINE, PAPER, WASH, ACCENT = "#1b1f24", "#4d5560", "#ffffff", "#f4f6f8", "#0b5cad"

# (column, row) in grid units. Only the picture's layout; see the docstring.
PLACES: dict[str, tuple[float, float]] = {
    "draft": (1, 0),
    "legal_review": (1, 1),
    "changes_requested": (0, 2),
    "approved": (1, 2),
    "signing": (1, 3),
    "active": (1, 4),
    "expired": (0, 5),
    "terminated": (1, 5),
    "superseded": (2, 5),
    "withdrawn": (2.4, 1.5),
}
# The machine's conditions (``conditions=`` in TRANSITIONS), in words, shown
# in brackets on the arrow; a test checks that each one has its words.
CONDITION_WORDS = {"_all_parties_signed": "all parties signed"}


@dataclass(frozen=True)
class Move:
    """One row of TRANSITIONS: a trigger from its sources to one state."""

    trigger: str
    sources: tuple[str, ...]
    dest: str
    conditions: tuple[str, ...]

    @property
    def when(self) -> str:
        """The machine's conditions in words ("" when there are none)."""
        return ", ".join(CONDITION_WORDS.get(name, name) for name in self.conditions)

    @property
    def label(self) -> str:
        text = self.trigger.replace("_", " ")
        return f"{text} [{self.when}]" if self.when else text


def _names(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list | tuple) else [value] if value else []
    return tuple(item if isinstance(item, str) else _callable_name(item) for item in items)


def _callable_name(item: Callable[..., Any]) -> str:
    return str(getattr(item, "__name__", item))


def moves() -> list[Move]:
    """The machine's table, in its order."""
    return [
        Move(str(row["trigger"]), _names(row["source"]), str(row["dest"]),
             _names(row.get("conditions")))
        for row in TRANSITIONS
    ]  # fmt: skip


def places() -> dict[str, tuple[float, float]]:
    """Every state's place: the layout's, or a new row below it."""
    known = {state: PLACES[state] for state in map(str, State) if state in PLACES}
    below = max(row for _col, row in PLACES.values()) + 1
    extra = [state for state in map(str, State) if state not in PLACES]
    return known | {state: (i % 3, below + i // 3) for i, state in enumerate(extra)}


def _centre(place: tuple[float, float]) -> tuple[float, float]:
    return MARGIN + BOX_W / 2 + place[0] * COLUMN, MARGIN + BOX_H / 2 + place[1] * ROW


def _border(centre: tuple[float, float], dx: float, dy: float) -> tuple[float, float]:
    """Where a ray from the box's centre along (dx, dy) leaves the box."""
    scale = min(BOX_W / 2 / abs(dx) if dx else math.inf, BOX_H / 2 / abs(dy) if dy else math.inf)
    return centre[0] + dx * scale, centre[1] + dy * scale


def _f(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _label(x: float, y: float, text: str, anchor: str = "middle") -> str:
    # A white halo (paint-order) keeps the label readable over the lines.
    return (
        f'<text x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" font-size="12" fill="{INK}" '
        f'stroke="{PAPER}" stroke-width="4" paint-order="stroke">{escape(text)}</text>'
    )


def _line(start: tuple[float, float], end: tuple[float, float], dashed: bool = False) -> str:
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    return (
        f'<line x1="{_f(start[0])}" y1="{_f(start[1])}" x2="{_f(end[0])}" y2="{_f(end[1])}" '
        f'stroke="{LINE}" stroke-width="1.5"{dash} marker-end="url(#lc-arrowhead)"/>'
    )


class Drawing:
    """The SVG's parts, collected in layers: frames and lines under the
    boxes, labels on top."""

    def __init__(self, current: str | None):
        self.current = current
        self.where = places()
        self.pairs = {(s, m.dest) for m in moves() for s in m.sources if s != m.dest}
        self.lines: list[str] = []
        self.labels: list[str] = []

    def arrow(self, trigger: str, source: str, move: Move) -> None:
        a, b = _centre(self.where[source]), _centre(self.where[move.dest])
        length = math.dist(a, b)
        dx, dy = (b[0] - a[0]) / length, (b[1] - a[1]) / length
        # Two arrows between the same states keep apart, each label outside its own.
        shift = 9 if (move.dest, source) in self.pairs else 0
        normal = (-dy, dx)
        start, end = _border(a, dx, dy), _border(b, -dx, -dy)
        start = (start[0] + normal[0] * shift, start[1] + normal[1] * shift)
        end = (end[0] + normal[0] * shift, end[1] + normal[1] * shift)
        x, y = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        self.lines.append(f'<g class="lc-arrow" data-trigger="{trigger}">{_line(start, end)}</g>')
        if not shift:
            self.labels.append(_label(x, y + 4, move.label))
            return
        anchor = "end" if normal[0] < -0.3 else "start" if normal[0] > 0.3 else "middle"
        x, y = x + normal[0] * 8, y + normal[1] * 8 + 4
        self.labels.append(_label(x, y, move.label, anchor))

    def loop(self, trigger: str, move: Move) -> None:
        x, y = _centre(self.where[move.dest])
        left = x - BOX_W / 2
        path = (
            f"M{_f(left)},{_f(y - 8)} C{_f(left - 44)},{_f(y - 30)} "
            f"{_f(left - 44)},{_f(y + 30)} {_f(left)},{_f(y + 8)}"
        )
        self.lines.append(
            f'<g class="lc-arrow" data-trigger="{trigger}"><path d="{path}" fill="none" '
            f'stroke="{LINE}" stroke-width="1.5" marker-end="url(#lc-arrowhead)"/></g>'
        )
        self.labels.append(_label(left - 40, y + 4, move.label, "end"))

    def fan(self, move: Move) -> bool:
        """One arrow out of a frame around the sources; False if the frame
        would enclose another state (the caller then draws each arrow)."""
        centres = [_centre(self.where[s]) for s in move.sources]
        x0, x1 = (
            min(c[0] for c in centres) - BOX_W / 2 - 10,
            max(c[0] for c in centres) + BOX_W / 2 + 10,
        )
        y0, y1 = (
            min(c[1] for c in centres) - BOX_H / 2 - 10,
            max(c[1] for c in centres) + BOX_H / 2 + 10,
        )
        inside = [
            s for s, p in self.where.items()
            if x0 < _centre(p)[0] < x1 and y0 < _centre(p)[1] < y1
        ]  # fmt: skip
        if set(inside) != set(move.sources):
            return False
        dest = _centre(self.where[move.dest])
        start = (x1, dest[1]) if dest[0] > x1 else (x0, dest[1]) if dest[0] < x0 else (dest[0], y1)
        end = _border(dest, start[0] - dest[0], start[1] - dest[1])
        self.lines.append(
            f'<g class="lc-arrow" data-trigger="{move.trigger}">'
            f'<rect x="{_f(x0)}" y="{_f(y0)}" width="{_f(x1 - x0)}" height="{_f(y1 - y0)}" '
            f'rx="10" fill="none" stroke="{LINE}" stroke-dasharray="6 4"/>{_line(start, end)}</g>'
        )
        self.labels.append(_label((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 4, move.label))
        return True

    def box(self, state: str, outgoing: set[str]) -> str:
        x, y = _centre(self.where[state])
        current = state == self.current
        fill = ACCENT if current else PAPER if state in outgoing else WASH
        classes = "lc-state lc-current" if current else "lc-state"
        return (
            f'<g class="{classes}" data-state="{state}">'
            f'<rect x="{_f(x - BOX_W / 2)}" y="{_f(y - BOX_H / 2)}" width="{BOX_W}" '
            f'height="{BOX_H}" rx="6" fill="{fill}" stroke="{ACCENT if current else LINE}" '
            f'stroke-width="{3 if current else 1.5}"/>'
            f'<text x="{_f(x)}" y="{_f(y + 5)}" text-anchor="middle" '
            f'fill="{PAPER if current else INK}" font-weight="{700 if current else 400}">'
            f"{escape(state.replace('_', ' '))}</text></g>"
        )


def _draw(drawing: Drawing) -> list[str]:
    for move in moves():
        if len(move.sources) >= FAN_MIN and drawing.fan(move):
            continue
        for source in move.sources:
            if source == move.dest:
                drawing.loop(move.trigger, move)
            else:
                drawing.arrow(move.trigger, source, move)
    outgoing = {s for m in moves() for s in m.sources}
    boxes = [drawing.box(state, outgoing) for state in map(str, State)]
    return [*drawing.lines, *boxes, *drawing.labels]


def _size(where: Iterable[tuple[float, float]]) -> tuple[int, int]:
    cols, rows = zip(*where, strict=True)
    width = 2 * MARGIN + BOX_W + max(cols) * COLUMN
    height = 2 * MARGIN + BOX_H + max(rows) * ROW
    return math.ceil(width), math.ceil(height)


def description(current: str | None) -> str:
    """The text alternative: every state and every move, in words."""
    states = ", ".join(state.replace("_", " ") for state in map(str, State))
    steps = "; ".join(
        f"{m.label}: {', '.join(s.replace('_', ' ') for s in m.sources)} to "
        f"{m.dest.replace('_', ' ')}"
        for m in moves()
    )
    now = f" The agreement is now {current.replace('_', ' ')}." if current else ""
    return f"States: {states}. Moves: {steps}.{now}"


@lru_cache(maxsize=len(State) + 1)  # one drawing per state: the machine is fixed at start-up
def lifecycle_svg(current: str | None = None) -> Markup:
    """The whole SVG (standalone or inline), ``current`` highlighted."""
    drawing = Drawing(current)
    width, height = _size(drawing.where.values())
    title = "The agreement lifecycle"
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lifecycle" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="lc-title lc-desc" font-family="system-ui, sans-serif" font-size="13">'
        f'<title id="lc-title">{title}</title><desc id="lc-desc">{escape(description(current))}'
        f'</desc><defs><marker id="lc-arrowhead" viewBox="0 0 10 10" refX="9" refY="5" '
        f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{LINE}"/></marker></defs>'
        f"{''.join(_draw(drawing))}</svg>"
    )
