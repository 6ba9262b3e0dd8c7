#!/usr/bin/env bash
# Vault for NIJA, once per cluster (safe to run again): the KV v2 and Transit engines, the Transit
# keys, the policies in policies/, the Transit AppRole the app's keyring logs in with, and the
# JWT auth method whose roles (jwt-roles/) Nomad's workload identities log in with.
#
#   VAULT_ADDR=https://vault.service.consul:8200 VAULT_TOKEN=<admin token> \
#   NOMAD_JWKS_URL=https://nomad.service.consul:4646/.well-known/jwks.json \
#   NOMAD_CLIENT_CIDRS=10.0.0.0/16 nomad/vault/setup.sh
#
# It creates no application secret but the AppRole's (secret/nija/transit-approle); put the
# others in KV as nomad/README.md ("Secrets in Vault") says.
set -euo pipefail
cd "$(dirname "$0")"

: "${VAULT_ADDR:?set VAULT_ADDR (and VAULT_TOKEN, a token allowed to configure Vault)}"
: "${NOMAD_JWKS_URL:?set NOMAD_JWKS_URL, e.g. https://nomad.service.consul:4646/.well-known/jwks.json}"
: "${NOMAD_CLIENT_CIDRS:?set NOMAD_CLIENT_CIDRS, the networks of the Nomad clients (comma separated)}"
TRANSIT_MOUNT="${TRANSIT_MOUNT:-transit}"   # NIJA_VAULT_TRANSIT_MOUNT, if you changed it
JWT_MOUNT="${JWT_MOUNT:-jwt-nomad}"

mounted() { vault "$1" list -format=json | grep -q "\"$2/\""; }

mounted secrets secret || vault secrets enable -path=secret -version=2 kv
mounted secrets "$TRANSIT_MOUNT" || vault secrets enable -path="$TRANSIT_MOUNT" transit

# The keyring's keys: derived (each user's id is the context, so one user's wrapped key never
# opens under another's), AES-256-GCM, never deletable. Created here, not by the app: its
# policy (policies/nija-transit.hcl) may use them but not create them.
for key in nija-credentials identity-totp nija-push-tokens; do
  if ! vault read "$TRANSIT_MOUNT/keys/$key" >/dev/null 2>&1; then
    vault write -f "$TRANSIT_MOUNT/keys/$key" type=aes256-gcm96 derived=true
  fi
  vault write "$TRANSIT_MOUNT/keys/$key/config" deletion_allowed=false
done

for policy in policies/*.hcl; do
  vault policy write "$(basename "$policy" .hcl)" "$policy"
done

# The Transit AppRole: its secret id is usable only from the Nomad clients' networks.
mounted auth approle || vault auth enable approle
vault write auth/approle/role/nija-transit @approle-nija-transit.json
vault write auth/approle/role/nija-transit \
  secret_id_bound_cidrs="$NOMAD_CLIENT_CIDRS" token_bound_cidrs="$NOMAD_CLIENT_CIDRS"
if ! vault kv get -field=secret_id secret/nija/transit-approle >/dev/null 2>&1; then
  role_id="$(vault read -field=role_id auth/approle/role/nija-transit/role-id)"
  secret_id="$(vault write -f -field=secret_id auth/approle/role/nija-transit/secret-id)"
  vault kv put secret/nija/transit-approle role_id="$role_id" secret_id="$secret_id"
fi

# Nomad workload identities: a task's `vault { role = ... }` logs in here with its signed JWT.
mounted auth "$JWT_MOUNT" || vault auth enable -path="$JWT_MOUNT" jwt
vault write "auth/$JWT_MOUNT/config" jwks_url="$NOMAD_JWKS_URL" \
  jwt_supported_algs=RS256,EdDSA default_role=nija-app
for role in jwt-roles/*.json; do
  vault write "auth/$JWT_MOUNT/role/$(basename "$role" .json)" "@$role"
done

echo "vault ready for NIJA: transit keys, policies, AppRole nija-transit, roles on $JWT_MOUNT"
