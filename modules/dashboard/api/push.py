"""Your phones (Expo push devices) and your price alerts."""

from __future__ import annotations

from litestar import Controller, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from modules.dashboard.schemas.push import (
    DeviceList,
    DeviceRegistration,
    DeviceView,
    PriceAlertCreate,
    PriceAlertList,
    PriceAlertView,
)
from modules.dashboard.service.price_alerts import PriceAlerts
from modules.dashboard.service.push import PushDevices
from modules.dashboard.views.push import PushViews
from modules.kernel.auth import Principal
from modules.kernel.bounds import IdPath


class PushDevicesController(Controller):
    path = "/v1/push/devices"
    tags = ["notifications"]

    @post(
        "/",
        status_code=201,
        summary="Register this phone for push notifications",
        description="Idempotent per `device_id`: registering the same device again updates its "
        "token and answers 200. A token registered before by another device or account moves "
        "here. The token is never shown again (only `token_hint`).",
        responses={
            200: ResponseSpec(
                data_container=DeviceView,
                description="The device was registered already",
                generate_examples=False,
            )
        },
    )
    async def register(
        self,
        principal: NamedDependency[Principal],
        data: JSONBody[DeviceRegistration],
        dashboard_push_devices: NamedDependency[PushDevices],
    ) -> Response[DeviceView]:
        view, created = await dashboard_push_devices.register(principal.user_id, data)
        return Response(view, status_code=201 if created else 200)

    @get("/", summary="Your phones that receive push notifications")
    async def list_devices(
        self,
        principal: NamedDependency[Principal],
        dashboard_push_views: NamedDependency[PushViews],
    ) -> DeviceList:
        return await dashboard_push_views.devices(principal.user_id)

    @delete("/{device:str}", status_code=204, summary="Stop pushing to one of your phones")
    async def revoke(
        self,
        principal: NamedDependency[Principal],
        device: IdPath,
        dashboard_push_devices: NamedDependency[PushDevices],
    ) -> None:
        await dashboard_push_devices.revoke(principal.user_id, device)


class PriceAlertsController(Controller):
    path = "/v1/price-alerts"
    tags = ["notifications"]

    @post(
        "/",
        status_code=201,
        summary="Be told once when a pair's price reaches a level",
        description="Fires on the first price after it was set at or beyond `price` (at or "
        "above for `above`, at or below for `below`), from the venue's minute bars and books; "
        "on any venue when `venue` is left out. It notifies (and pushes, with price alerts on) "
        "once, then stays listed as `triggered`.",
    )
    async def create(
        self,
        principal: NamedDependency[Principal],
        data: JSONBody[PriceAlertCreate],
        dashboard_price_alerts: NamedDependency[PriceAlerts],
    ) -> PriceAlertView:
        return await dashboard_price_alerts.create(principal.user_id, data)

    @get("/", summary="Your price alerts, newest first")
    async def list_alerts(
        self,
        principal: NamedDependency[Principal],
        dashboard_push_views: NamedDependency[PushViews],
    ) -> PriceAlertList:
        return await dashboard_push_views.price_alerts(principal.user_id)

    @delete("/{alert_id:str}", status_code=204, summary="Delete one of your price alerts")
    async def remove(
        self,
        principal: NamedDependency[Principal],
        alert_id: IdPath,
        dashboard_price_alerts: NamedDependency[PriceAlerts],
    ) -> None:
        await dashboard_price_alerts.delete(principal.user_id, alert_id)
