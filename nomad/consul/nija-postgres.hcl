# NIJA's PostgreSQL, registered by the Consul agent on its host (consul services register
# nija-postgres.hcl, or drop it in the agent's config directory). The URLs in Vault
# (secret/nija/database) name it as nija-postgres.service.consul.
service {
  name = "nija-postgres"
  port = 5432
  tags = ["nija", "postgresql"]

  check {
    id       = "nija-postgres-tcp"
    name     = "PostgreSQL accepts connections"
    tcp      = "127.0.0.1:5432"
    interval = "10s"
    timeout  = "2s"
  }
}
