# Only for the app tasks that seal or open secrets with Transit (the monolith's app; identity,
# vault, execution and dashboard (push tokens) in the split job): the Transit AppRole's role id
# and secret id, which the app logs in with (NIJA_VAULT_ROLE_ID, NIJA_VAULT_SECRET_ID).
path "secret/data/nija/transit-approle" {
  capabilities = ["read"]
}
