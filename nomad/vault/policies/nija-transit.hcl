# The Transit AppRole's token (auth/approle/role/nija-transit): what the app's keyring does with
# its two keys (modules/kernel/adapters/vault_transit.py), and nothing else: no key creation or
# deletion, no export, no other key. nija-credentials wraps the per-user data keys of exchange
# credentials (and is rotated online by `nija vault rotate-keys`); identity-totp seals TOTP seeds.
path "transit/keys/nija-credentials" {
  capabilities = ["read"]
}

path "transit/encrypt/nija-credentials" {
  capabilities = ["update"]
}

path "transit/decrypt/nija-credentials" {
  capabilities = ["update"]
}

path "transit/rewrap/nija-credentials" {
  capabilities = ["update"]
}

path "transit/keys/nija-credentials/rotate" {
  capabilities = ["update"]
}

path "transit/keys/nija-credentials/config" {
  capabilities = ["update"]
}

path "transit/keys/identity-totp" {
  capabilities = ["read"]
}

path "transit/encrypt/identity-totp" {
  capabilities = ["update"]
}

path "transit/decrypt/identity-totp" {
  capabilities = ["update"]
}

path "transit/rewrap/identity-totp" {
  capabilities = ["update"]
}

path "transit/keys/identity-totp/rotate" {
  capabilities = ["update"]
}

path "transit/keys/identity-totp/config" {
  capabilities = ["update"]
}

path "transit/keys/nija-push-tokens" {
  capabilities = ["read"]
}

path "transit/encrypt/nija-push-tokens" {
  capabilities = ["update"]
}

path "transit/decrypt/nija-push-tokens" {
  capabilities = ["update"]
}

path "transit/rewrap/nija-push-tokens" {
  capabilities = ["update"]
}

path "transit/keys/nija-push-tokens/rotate" {
  capabilities = ["update"]
}

path "transit/keys/nija-push-tokens/config" {
  capabilities = ["update"]
}
