# The app task of every NIJA allocation (Nomad workload identity, Vault roles nija-app and
# nija-keyring): the secrets its template renders into its environment, read-only.
path "secret/data/nija/database" {
  capabilities = ["read"]
}

path "secret/data/nija/jwt" {
  capabilities = ["read"]
}

path "secret/data/nija/redis" {
  capabilities = ["read"]
}

path "secret/data/nija/expo" {
  capabilities = ["read"]
}

path "secret/data/nija/dapr" {
  capabilities = ["read"]
}
