"""Vault's HTTP surface: `/v1/credentials`. Write-only for secrets: nothing returns them."""

from __future__ import annotations

import uuid

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from modules.kernel.auth import Principal
from modules.kernel.sealing import CredentialMaterial
from modules.vault.repository import CredentialRow
from modules.vault.schemas import CredentialOut, StoreCredentialRequest
from modules.vault.service import VaultService


def _out(row: CredentialRow) -> CredentialOut:
    return CredentialOut(
        id=str(row.id),
        venue=row.venue,
        label=row.label,
        key_hint=row.key_hint,
        status=row.status,
        version=row.version,
        created_at=row.created_at,
    )


class CredentialsController(Controller):
    path = "/v1/credentials"
    tags = ["credentials"]

    @post("/", status_code=201, summary="Store (or replace) the API key for a venue")
    async def store(
        self,
        data: JSONBody[StoreCredentialRequest],
        principal: NamedDependency[Principal],
        vault_service: NamedDependency[VaultService],
    ) -> CredentialOut:
        material = CredentialMaterial(
            api_key=data.api_key, api_secret=data.api_secret, passphrase=data.passphrase
        )
        row = await vault_service.store(principal.user_id, data.venue, material, data.label)
        return _out(row)

    @get("/", summary="Your credentials, newest first (never the secrets)")
    async def list_credentials(
        self, principal: NamedDependency[Principal], vault_service: NamedDependency[VaultService]
    ) -> list[CredentialOut]:
        return [_out(row) for row in await vault_service.list_credentials(principal.user_id)]

    @get("/{credential_id:uuid}", summary="One of your credentials")
    async def get_credential(
        self,
        credential_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        vault_service: NamedDependency[VaultService],
    ) -> CredentialOut:
        return _out(await vault_service.get(principal.user_id, credential_id))

    @delete("/{credential_id:uuid}", status_code=204, summary="Revoke a credential")
    async def revoke(
        self,
        credential_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        vault_service: NamedDependency[VaultService],
    ) -> None:
        await vault_service.revoke(principal.user_id, credential_id)
