"""Vault's HTTP surface: `/v1/credentials`, `/v1/audit` and `/v1/admin/audit`.

Write-only for secrets: nothing returns them. Storing and rotating a key demand a recent second
factor (`step_up`) when the user has one; revoking does not, so a leaked key can always be
killed at once.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from modules.kernel.auth import Principal
from modules.kernel.bounds import ID_PATTERN, MAX_ID_LENGTH, parse_timestamp, timestamp_query
from modules.kernel.sealing import CredentialMaterial
from modules.vault.schemas import (
    AuditPage,
    ChainReportOut,
    CredentialOut,
    RotateCredentialRequest,
    StoreCredentialRequest,
    VerificationRequested,
)
from modules.vault.service.audit_trail import AuditTrail
from modules.vault.service.credentials import Credentials
from modules.vault.views import VaultViews

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size")]
Before = Annotated[
    int | None,
    QueryParameter(ge=1, le=2**63 - 1, description="Only entries older than this id"),
]
Action = Annotated[
    str | None,
    QueryParameter(max_length=32, pattern=ID_PATTERN, description="e.g. store, unseal"),
]
Since = Annotated[str | None, timestamp_query("Entries at or after this time (RFC 3339)")]
Until = Annotated[str | None, timestamp_query("Entries before this time (RFC 3339)")]
UserFilter = Annotated[
    str | None,
    QueryParameter(max_length=MAX_ID_LENGTH, pattern=ID_PATTERN, description="A user id"),
]
CredentialsService = NamedDependency[Credentials]
Views = NamedDependency[VaultViews]


class CredentialsController(Controller):
    path = "/v1/credentials"
    tags = ["credentials"]

    @post("/", status_code=201, summary="Store (or replace) the API key for a venue")
    async def store(
        self,
        data: JSONBody[StoreCredentialRequest],
        step_up: NamedDependency[Principal],
        vault_credentials: CredentialsService,
        vault_views: Views,
    ) -> CredentialOut:
        material = CredentialMaterial(
            api_key=data.api_key, api_secret=data.api_secret, passphrase=data.passphrase
        )
        row = await vault_credentials.store(
            step_up.user_id, data.venue, material, data.label, data.environment
        )
        return await vault_views.credential(step_up.user_id, row.id)

    @get("/", summary="Your credentials, newest first (never the secrets)")
    async def list_credentials(
        self, principal: NamedDependency[Principal], vault_views: Views
    ) -> list[CredentialOut]:
        return await vault_views.credentials(principal.user_id)

    @get("/{credential_id:uuid}", summary="One of your credentials")
    async def get_credential(
        self,
        credential_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        vault_views: Views,
    ) -> CredentialOut:
        return await vault_views.credential(principal.user_id, credential_id)

    @put("/{credential_id:uuid}", summary="Rotate to a new key and secret (a new version)")
    async def rotate(
        self,
        credential_id: FromPath[uuid.UUID],
        data: JSONBody[RotateCredentialRequest],
        step_up: NamedDependency[Principal],
        vault_credentials: CredentialsService,
        vault_views: Views,
    ) -> CredentialOut:
        material = CredentialMaterial(
            api_key=data.api_key, api_secret=data.api_secret, passphrase=data.passphrase
        )
        row = await vault_credentials.rotate(step_up.user_id, credential_id, material)
        return await vault_views.credential(step_up.user_id, row.id)

    @post(
        "/{credential_id:uuid}/verify",
        status_code=202,
        summary="Ask the venue whether the key works and what it may do",
        description="Keys that may withdraw funds, or that fail, are refused and revoked. "
        "The outcome shows on the credential once the venue has answered.",
    )
    async def verify(
        self,
        credential_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        vault_credentials: CredentialsService,
    ) -> VerificationRequested:
        request_id = await vault_credentials.request_verification(principal.user_id, credential_id)
        return VerificationRequested(request_id=str(request_id), credential_id=str(credential_id))

    @delete("/{credential_id:uuid}", status_code=204, summary="Revoke a credential")
    async def revoke(
        self,
        credential_id: FromPath[uuid.UUID],
        principal: NamedDependency[Principal],
        vault_credentials: CredentialsService,
    ) -> None:
        await vault_credentials.revoke(principal.user_id, credential_id)


class AuditController(Controller):
    path = "/v1/audit"
    tags = ["audit"]

    @get("/", summary="Your own audit trail, newest first")
    async def own_trail(
        self,
        principal: NamedDependency[Principal],
        vault_views: Views,
        action: Action = None,
        since: Since = None,
        until: Until = None,
        limit: Limit = 100,
        before: Before = None,
    ) -> AuditPage:
        return await vault_views.audit(
            user_id=principal.user_id,
            action=action,
            since=parse_timestamp("since", since),
            until=parse_timestamp("until", until),
            limit=limit,
            before_id=before,
        )


class AdminAuditController(Controller):
    path = "/v1/admin/audit"
    tags = ["admin"]

    @get("/", summary="The audit log, filtered by user, action and time")
    async def search(
        self,
        admin: NamedDependency[Principal],
        vault_views: Views,
        user_id: UserFilter = None,
        action: Action = None,
        since: Since = None,
        until: Until = None,
        limit: Limit = 100,
        before: Before = None,
    ) -> AuditPage:
        return await vault_views.audit(
            user_id=user_id,
            action=action,
            since=parse_timestamp("since", since),
            until=parse_timestamp("until", until),
            limit=limit,
            before_id=before,
        )

    @post("/verify", status_code=200, summary="Check the hash chain; report the first broken link")
    async def verify_chain(
        self, admin: NamedDependency[Principal], vault_audit: NamedDependency[AuditTrail]
    ) -> ChainReportOut:
        report = await vault_audit.verify_chain()
        return ChainReportOut(
            ok=report.ok,
            checked=report.checked,
            first_broken_id=report.first_broken_id,
            reason=report.reason,
        )


class AdminCredentialsController(Controller):
    path = "/v1/admin/users"
    tags = ["admin"]

    @get(
        "/{user_id:uuid}/credentials",
        summary="A user's credentials for support: metadata only, never a secret (admin only)",
        description="Vault keeps no account list: a well-formed id of a user without "
        "credentials answers an empty list (GET /v1/admin/users/{user_id} says whether the "
        "account exists).",
    )
    async def user_credentials(
        self, user_id: FromPath[uuid.UUID], admin: NamedDependency[Principal], vault_views: Views
    ) -> list[CredentialOut]:
        return await vault_views.credentials(str(user_id))
