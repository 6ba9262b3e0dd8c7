# The daprd sidecar: its own template (the tokens shared with the app) and what the Dapr secret
# store resolves for the components' secretKeyRefs (dapr/components/: redis, database).
path "secret/data/nija/dapr" {
  capabilities = ["read"]
}

path "secret/data/nija/redis" {
  capabilities = ["read"]
}

path "secret/data/nija/database" {
  capabilities = ["read"]
}
