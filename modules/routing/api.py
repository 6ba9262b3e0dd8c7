"""Routing's HTTP surface: orders and their routes, closing a position, trading settings, admin."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from modules.kernel.auth import Principal, provide_step_up
from modules.routing.schemas import (
    AdminKillSwitches,
    AdminRouting,
    KillSwitchRequest,
    KillSwitchView,
    OrderCancel,
    OrderCancels,
    OrderDetail,
    OrderPage,
    OrderRoute,
    PlacedOrder,
    PlaceOrderRequest,
    TradingSettingsPatch,
    TradingSettingsView,
)
from modules.routing.service.cancels import OrderCancels as Cancels
from modules.routing.service.controls import Controls
from modules.routing.service.halt import HaltCloser
from modules.routing.service.intake import Intake, Placed
from modules.routing.views.admin import AdminViews
from modules.routing.views.orders import OrderViews
from modules.routing.views.settings import SettingsViews


def _placed(placed: Placed) -> Response[PlacedOrder]:
    headers = {"Idempotent-Replayed": "true"} if placed.replayed else {}
    return Response(placed.body, status_code=placed.status, headers=headers)


class OrdersController(Controller):
    path = "/v1/orders"
    tags = ["orders"]

    @post(
        "/",
        status_code=202,
        summary="Place an order; it passes the risk gate and goes to the cheapest venue(s)",
        description="Send an `Idempotency-Key` header to make retries safe: a repeat with the "
        "same key and body returns the first response; a different body is refused. Orders too "
        "big for one venue are split across venues; very large ones go out as TWAP slices.",
    )
    async def place_order(
        self,
        data: JSONBody[PlaceOrderRequest],
        principal: NamedDependency[Principal],
        routing_intake: NamedDependency[Intake],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                required=False,
                min_length=1,
                max_length=255,
                pattern=r"^[\x21-\x7e]{1,255}$",  # printable ASCII, as domain/idempotency.py checks
            ),
        ] = None,
    ) -> Response[PlacedOrder]:
        return _placed(await routing_intake.place_order(principal, data, idempotency_key))

    @get("/", summary="Your orders, newest first")
    async def list_orders(
        self,
        principal: NamedDependency[Principal],
        routing_orders: NamedDependency[OrderViews],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> OrderPage:
        return await routing_orders.list_orders(principal, limit, offset)

    @get("/{order_id:uuid}", summary="One of your orders with its fills and route decision")
    async def get_order(
        self,
        order_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        routing_orders: NamedDependency[OrderViews],
    ) -> OrderDetail:
        return await routing_orders.get_order(principal, order_id)

    @delete(
        "/{order_id:uuid}",
        status_code=202,
        summary="Cancel what is left of one of your orders",
        description="The venue cancels the unfilled rest; fills made before stand. The answer "
        "says `cancelling` until the venue confirms; the order then ends `cancelled` (or "
        "`filled`, when the market got there first) and the WebSocket reports it. Asking twice "
        "is one cancel. A filled, expired or rejected order answers 409 `order_not_open`.",
    )
    async def cancel_order(
        self,
        order_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        routing_cancels: NamedDependency[Cancels],
    ) -> OrderCancel:
        return await routing_cancels.cancel_order(principal.user_id, order_id)

    @delete(
        "/",
        status_code=202,
        summary="Cancel every open order of yours",
        description="Each open order is cancelled as by `DELETE /v1/orders/{id}`; the answer "
        "lists them.",
    )
    async def cancel_all_orders(
        self,
        principal: NamedDependency[Principal],
        routing_cancels: NamedDependency[Cancels],
    ) -> OrderCancels:
        return OrderCancels(orders=await routing_cancels.cancel_all(principal.user_id))

    @get(
        "/{order_id:uuid}/route",
        summary="Why this venue: every candidate with its cost factors, the winner, re-routes",
    )
    async def get_route(
        self,
        order_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        routing_orders: NamedDependency[OrderViews],
    ) -> OrderRoute:
        return await routing_orders.get_route(principal, order_id)


class PositionCloseController(Controller):
    path = "/v1/positions"
    tags = ["positions"]

    @post(
        "/{position_id:uuid}/close",
        status_code=202,
        summary="Close a position (its id from GET /v1/positions) with a market exit order",
        description="Sells (or buys back) the whole quantity at market on the venue that holds "
        "it, as an exit (priority 2).",
    )
    async def close_position(
        self,
        position_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        routing_intake: NamedDependency[Intake],
    ) -> Response[PlacedOrder]:
        return _placed(await routing_intake.close_position(principal, position_id))


class TradingSettingsController(Controller):
    path = "/v1/settings/trading"
    tags = ["settings"]

    @get("/", summary="Your risk settings and the limits they give")
    async def get_settings(
        self,
        principal: NamedDependency[Principal],
        routing_settings: NamedDependency[SettingsViews],
    ) -> TradingSettingsView:
        return await routing_settings.trading_settings(principal)

    @patch("/", summary="Change your risk settings (null resets a field to the default)")
    async def patch_settings(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[TradingSettingsPatch],
        principal: NamedDependency[Principal],
        routing_controls: NamedDependency[Controls],
    ) -> TradingSettingsView:
        # Lowering a limit is always allowed at once; raising one is a sensitive action.
        if await routing_controls.raises_limits(principal, data):
            await provide_step_up(request)
        return await routing_controls.update_trading_settings(principal, data)

    @post("/kill-switch", status_code=200, summary="Halt your own trading now")
    async def halt(
        self,
        principal: NamedDependency[Principal],
        routing_controls: NamedDependency[Controls],
    ) -> KillSwitchView:
        return await routing_controls.set_kill_switch(
            "user", principal.user_id, True, "user", "halted by the trader", principal.user_id
        )

    @delete(
        "/kill-switch",
        status_code=200,
        summary="Resume trading you halted yourself (needs a recent second-factor proof)",
    )
    async def resume(
        self,
        step_up: NamedDependency[Principal],
        routing_controls: NamedDependency[Controls],
    ) -> KillSwitchView:
        return await routing_controls.set_kill_switch(
            "user", step_up.user_id, False, "user", None, step_up.user_id
        )


class AdminRoutingController(Controller):
    path = "/v1/admin"
    tags = ["admin"]

    @post(
        "/kill-switch",
        status_code=200,
        summary="Halt or resume trading, globally or per user",
        description="With `close_all_positions`, the affected users' open orders are cancelled "
        "and their positions closed at market (each once, never more than it holds).",
    )
    async def kill_switch(
        self,
        data: JSONBody[KillSwitchRequest],
        admin_step_up: NamedDependency[Principal],
        routing_controls: NamedDependency[Controls],
        routing_halt: NamedDependency[HaltCloser],
    ) -> KillSwitchView:
        view = await routing_controls.set_kill_switch(
            data.scope,
            data.user_id,
            data.active,
            "admin",
            data.reason,
            admin_step_up.user_id,
            close_all=data.close_all_positions,
        )
        if not data.close_all_positions:
            return view
        unwound = await routing_halt.close_all(data.user_id)
        return msgspec.structs.replace(
            view,
            orders_cancelled=unwound.orders_cancelled,
            positions_closing=unwound.positions_closing,
        )

    @get(
        "/kill-switch",
        summary="What kill switches are engaged, globally and per user: who set them, when, why",
    )
    async def kill_switches(
        self,
        admin: NamedDependency[Principal],
        routing_admin: NamedDependency[AdminViews],
    ) -> AdminKillSwitches:
        return await routing_admin.kill_switches()

    @get("/routing", summary="Recent route decisions and per-venue routing statistics")
    async def routing(
        self,
        admin: NamedDependency[Principal],
        routing_admin: NamedDependency[AdminViews],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
    ) -> AdminRouting:
        return await routing_admin.admin_routing(limit)
