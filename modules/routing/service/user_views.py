"""Users' views (domain/user_view.py) kept in this replica's memory: loaded on first use, folded
forward by the events this replica applies, and loaded again when found behind.

A fold comes after its transaction has committed, with the version it committed at. A view
exactly one version behind takes it; a view already at it (loaded after the commit) has it; any
other view is dropped, to be loaded again. Nothing here has to be right for an order to be
right: intake places an order only at the version its view was read at (the order's own
statement checks it), and refuses one only on a freshly loaded view.
"""

from __future__ import annotations

import asyncio
import weakref
from datetime import UTC, date

from modules.kernel.module import Runtime
from modules.routing.domain.user_view import (
    EquityCopy,
    PositionFold,
    UserView,
    advance,
    fold_equity,
    fold_order_placed,
    fold_position,
)
from modules.routing.repository.orders import OrderGuard
from modules.routing.repository.user_views import UserViewRepository

# Views kept per replica; beyond it the oldest kept is dropped (it is loaded again on its user's
# next order), so memory stays bounded however many users trade.
MAX_VIEWS = 50_000


class UserViews:
    def __init__(self, runtime: Runtime, repository: UserViewRepository) -> None:
        self._clock = runtime.clock
        self._repo = repository
        self._views: dict[str, UserView] = {}
        self._placing: weakref.WeakValueDictionary[str, asyncio.Lock] = (
            weakref.WeakValueDictionary()
        )

    def placing(self, user_id: str) -> asyncio.Lock:
        """Held while one of the user's orders is checked and placed on this replica: each order
        moves the user's version on, so concurrent ones would only send each other back to
        reload; one after the other, each reads the view its predecessor left."""
        lock = self._placing.get(user_id)
        if lock is None:
            lock = self._placing[user_id] = asyncio.Lock()
        return lock

    def today(self) -> date:
        return self._clock().astimezone(UTC).date()

    def cached(self, user_id: str) -> UserView | None:
        return self._views.get(user_id)

    def moved_since(self, user_id: str, tried: OrderGuard) -> UserView | None:
        """The kept view, if folds on this replica moved it past the versions an order was
        just refused at (a fold committed while the order waited for its row): checking again
        on it costs no load. None when it did not move: only a load can tell what did."""
        view = self._views.get(user_id)
        if view is None:
            return None
        now = (view.version, view.global_version, view.placed)
        then = (tried.view_version, tried.global_version, tried.placed)
        moved = now != then and all(a >= b for a, b in zip(now, then, strict=True))
        return view if moved else None

    async def load(self, user_id: str) -> UserView:
        """The user's view as committed now, kept unless a fold moved the kept one further."""
        loaded = await self._repo.load(user_id, self.today())
        kept = self._views.get(user_id)
        if kept is None or kept.version <= loaded.version:
            self._views[user_id] = loaded
            if len(self._views) > MAX_VIEWS:
                del self._views[next(iter(self._views))]
        return loaded

    async def view(self, user_id: str) -> UserView:
        return self.cached(user_id) or await self.load(user_id)

    def forget(self, user_id: str) -> None:
        self._views.pop(user_id, None)

    def _advanced(self, user_id: str, version: int) -> UserView | None:
        """The view to fold a change committed at `version` onto, if it is the next one."""
        view = self._views.get(user_id)
        if view is None or view.version >= version:
            return None
        if not advance(view, version):
            del self._views[user_id]
            return None
        return view

    # -- folds, each after its transaction committed ----------------------------------------
    def positions_changed(self, user_id: str, changes: list[PositionFold], version: int) -> None:
        """A batch's position changes of the user, committed together at `version`."""
        view = self._advanced(user_id, version)
        if view is not None:
            for change in changes:
                fold_position(view, change)

    def equity_changed(
        self, user_id: str, copies: list[tuple[str, EquityCopy]], version: int
    ) -> None:
        """A batch's equity snapshots of the user (credential, copy), committed at `version`."""
        view = self._advanced(user_id, version)
        if view is not None:
            for credential_id, copy in copies:
                fold_equity(view, credential_id, copy)

    def order_placed(self, user_id: str, day: date, placed: int) -> None:
        """The user's `placed`-th order was placed (by this replica)."""
        view = self._views.get(user_id)
        if view is not None and view.placed < placed and not fold_order_placed(view, day, placed):
            del self._views[user_id]
