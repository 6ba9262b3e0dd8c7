"""The gRPC half of the fake sidecar: the Dapr API methods our adapters call, implemented on
the SDK's generated `DaprServicer` with daprd's status codes and messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import grpc
from dapr.proto import api_v1, common_v1
from dapr.proto.runtime.v1.dapr_pb2_grpc import DaprServicer
from google.protobuf import empty_pb2

if TYPE_CHECKING:
    from tests.fakes.dapr_sidecar import FakeDaprSidecar

_FIRST_WRITE = common_v1.StateOptions.StateConcurrency.CONCURRENCY_FIRST_WRITE


class DaprApi(DaprServicer):  # type: ignore[misc]
    def __init__(self, sidecar: FakeDaprSidecar) -> None:
        self._sidecar = sidecar

    async def PublishEvent(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        sidecar = self._sidecar
        if not request.pubsub_name:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "pubsub name is empty")
        if sidecar.pubsubs is not None and request.pubsub_name not in sidecar.pubsubs:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"pubsub {request.pubsub_name} is not found"
            )
        if not request.topic:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"topic is empty in pubsub {request.pubsub_name}"
            )
        try:
            sidecar.publish(
                request.pubsub_name,
                request.topic,
                bytes(request.data),
                request.data_content_type or "application/json",
            )
        except (ValueError, UnicodeDecodeError) as exc:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"error when unmarshalling the request: {exc}"
            )
        return empty_pb2.Empty()

    async def _store(self, name: str, context: grpc.aio.ServicerContext) -> str:
        stores = self._sidecar.state_stores
        if not name:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "state store name is empty")
        if stores is not None and name not in stores:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"state store {name} is not found"
            )
        return name

    async def _stored_key(self, store: str, key: str, context: grpc.aio.ServicerContext) -> str:
        if "||" in key:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"input key/keyPrefix '{key}' can't contain '||'"
            )
        return f"{store}||{key}"

    async def GetState(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        store = await self._store(request.store_name, context)
        item = self._sidecar.state.get(await self._stored_key(store, request.key, context))
        if item is None:
            return api_v1.GetStateResponse()
        return api_v1.GetStateResponse(data=item[0], etag=item[1])

    async def GetBulkState(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        store = await self._store(request.store_name, context)
        items = []
        for key in request.keys:
            item = self._sidecar.state.get(await self._stored_key(store, key, context))
            if item is None:
                items.append(api_v1.BulkStateItem(key=key))
            else:
                items.append(api_v1.BulkStateItem(key=key, data=item[0], etag=item[1]))
        return api_v1.GetBulkStateResponse(items=items)

    async def SaveState(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        store = await self._store(request.store_name, context)
        writes = []
        for item in request.states:
            stored_key = await self._stored_key(store, item.key, context)
            etag = item.etag.value if item.HasField("etag") and item.etag.value else None
            current = self._sidecar.state.get(stored_key)
            first_write = item.HasField("options") and item.options.concurrency == _FIRST_WRITE
            if etag is not None:
                await _check_etag_format(etag, context)
            conflict = (etag is not None and (current is None or current[1] != etag)) or (
                etag is None and first_write and current is not None
            )
            if conflict:
                await context.abort(
                    grpc.StatusCode.ABORTED,
                    f"failed saving state in state store {store}: possible etag mismatch. "
                    f"error from state store: no item was updated",
                )
            writes.append((stored_key, bytes(item.value)))
        for stored_key, value in writes:
            self._sidecar.state[stored_key] = (value, self._sidecar.next_etag())
        return empty_pb2.Empty()

    async def DeleteState(self, request: Any, context: grpc.aio.ServicerContext) -> Any:
        store = await self._store(request.store_name, context)
        stored_key = await self._stored_key(store, request.key, context)
        etag = request.etag.value if request.HasField("etag") and request.etag.value else None
        current = self._sidecar.state.get(stored_key)
        if etag is not None:
            await _check_etag_format(etag, context)
            if current is None or current[1] != etag:
                await context.abort(
                    grpc.StatusCode.ABORTED,
                    f"failed deleting state with key {request.key}: possible etag mismatch. "
                    f"error from state store: no item was deleted",
                )
        self._sidecar.state.pop(stored_key, None)
        return empty_pb2.Empty()


async def _check_etag_format(etag: str, context: grpc.aio.ServicerContext) -> None:
    # Postgres etags are row versions; anything that is not a number cannot be one.
    if not etag.isdigit():
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"invalid etag value: {etag!r}",
        )
