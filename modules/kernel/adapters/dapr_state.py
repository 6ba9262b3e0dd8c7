"""State through a Dapr sidecar: the production adapter of the `StateStore` port.

Each module has its own Dapr state store component, `<dapr_state_store_prefix><module>`, declared
with `keyPrefix: name` so that modules sharing one backing table never see each other's keys.
A write or delete carrying an etag is sent with first-write-wins concurrency; the sidecar
answers a stale etag with gRPC ABORTED (an unparsable one with INVALID_ARGUMENT), which becomes
`EtagMismatch`, exactly like the Postgres adapter.
"""

from __future__ import annotations

from collections.abc import Sequence

from dapr.clients.grpc._state import Concurrency, StateOptions
from grpc import StatusCode

from modules.kernel.dapr_sidecar import shared_client
from modules.kernel.ports import EtagMismatch, StateItem
from modules.kernel.settings import Settings

# The sidecar reads a bulk request's keys this many at a time from the backing store.
_BULK_PARALLELISM = 8
_FIRST_WRITE = StateOptions(concurrency=Concurrency.first_write)
# Without an etag the port promises last-write-wins; first-write would refuse to overwrite.
_LAST_WRITE = StateOptions(concurrency=Concurrency.last_write)


def _is_etag_conflict(exc: BaseException) -> bool:
    # save_state wraps the gRPC error in DaprInternalError (cause kept); delete_state and
    # get_state raise DaprGrpcError, which carries the code itself.
    for error in (exc, exc.__cause__):
        code_of = getattr(error, "code", None)
        if not callable(code_of):
            continue
        code = code_of()
        if code is StatusCode.ABORTED:
            return True
        details = getattr(error, "details", None)
        message = str(details() if callable(details) else "")
        if code is StatusCode.INVALID_ARGUMENT and "etag" in message.lower():
            return True
    return False


class DaprStateStore:
    def __init__(self, settings: Settings, module: str) -> None:
        self._settings = settings
        self.store_name = f"{settings.dapr_state_store_prefix}{module}"

    async def get(self, key: str) -> StateItem | None:
        client = await shared_client(self._settings)
        response = await client.get_state(self.store_name, key)
        # Dapr answers a missing key with empty data and no etag, never with an error.
        if not response.etag:
            return None
        return StateItem(key=key, value=bytes(response.data), etag=response.etag)

    async def get_many(self, keys: Sequence[str]) -> dict[str, StateItem]:
        if not keys:
            return {}
        client = await shared_client(self._settings)
        response = await client.get_bulk_state(
            self.store_name, list(keys), parallelism=_BULK_PARALLELISM
        )
        found: dict[str, StateItem] = {}
        for item in response.items:
            if item.error:
                # One key the store could not read fails the read, as `get` would for it.
                raise RuntimeError(f"state store {self.store_name} refused a key: {item.error}")
            if item.etag:  # a missing key comes back with no data and no etag
                data = item.data if isinstance(item.data, bytes) else item.data.encode()
                found[item.key] = StateItem(key=item.key, value=data, etag=item.etag)
        return found

    async def save(
        self, key: str, value: bytes, *, etag: str | None = None, create_only: bool = False
    ) -> str | None:
        if etag == "":
            # Dapr would read an empty etag as "no etag" and overwrite; no stored item has one.
            raise EtagMismatch(key)
        client = await shared_client(self._settings)
        try:
            await client.save_state(
                self.store_name,
                key,
                value,
                etag=None if create_only else etag,
                # First-write without an etag: Dapr inserts only if the key is absent.
                options=_FIRST_WRITE if create_only or etag is not None else _LAST_WRITE,
            )
        except Exception as exc:
            if (create_only or etag is not None) and _is_etag_conflict(exc):
                raise EtagMismatch(key) from None
            raise
        return None  # Dapr's save does not answer with the new etag

    async def delete(self, key: str, *, etag: str | None = None) -> None:
        if etag == "":
            raise EtagMismatch(key)
        client = await shared_client(self._settings)
        try:
            await client.delete_state(
                self.store_name,
                key,
                etag=etag,
                options=_LAST_WRITE if etag is None else _FIRST_WRITE,
            )
        except Exception as exc:
            if etag is not None and _is_etag_conflict(exc):
                raise EtagMismatch(key) from None
            raise
