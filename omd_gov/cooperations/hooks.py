"""Checks that packages built on cooperations register, so that this package
imports none of them. Agreements register what holds a canvas still: while
an agreement is in review or signing its documents quote the canvas as legal
reviewed it (registered by the app factory)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

# (session, cooperation_id) -> what holds the canvas (e.g. agreement references)
CanvasHolders = Callable[[Session, int], list[str]]
_HOLDERS: list[CanvasHolders] = []


def hold_canvas_while(holders: CanvasHolders) -> None:
    if holders not in _HOLDERS:
        _HOLDERS.append(holders)


def canvas_holders(session: Session, cooperation_id: int) -> list[str]:
    return [held for holders in _HOLDERS for held in holders(session, cooperation_id)]
