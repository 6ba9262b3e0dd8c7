"""Routing's HTTP surface: place orders, list them, see one with its fills and route."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from modules.kernel.auth import Principal
from modules.routing.schemas import OrderDetail, OrderPage, PlacedOrder, PlaceOrderRequest
from modules.routing.service import RoutingService


class OrdersController(Controller):
    path = "/v1/orders"
    tags = ["orders"]

    @post(
        "/",
        status_code=202,
        summary="Place an order; it is routed to the cheapest eligible venue",
        description="Send an `Idempotency-Key` header to make retries safe: a repeat with the "
        "same key and body returns the first response; a different body is refused.",
    )
    async def place_order(
        self,
        data: JSONBody[PlaceOrderRequest],
        principal: NamedDependency[Principal],
        routing_service: NamedDependency[RoutingService],
        idempotency_key: Annotated[
            str | None, HeaderParameter(name="Idempotency-Key", required=False, max_length=255)
        ] = None,
    ) -> Response[PlacedOrder]:
        placed = await routing_service.place_order(principal, data, idempotency_key)
        headers = {"Idempotent-Replayed": "true"} if placed.replayed else {}
        return Response(placed.body, status_code=placed.status, headers=headers)

    @get("/", summary="Your orders, newest first")
    async def list_orders(
        self,
        principal: NamedDependency[Principal],
        routing_service: NamedDependency[RoutingService],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> OrderPage:
        return await routing_service.list_orders(principal, limit, offset)

    @get("/{order_id:uuid}", summary="One of your orders with its fills and route decision")
    async def get_order(
        self,
        order_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        routing_service: NamedDependency[RoutingService],
    ) -> OrderDetail:
        return await routing_service.get_order(principal, order_id)
