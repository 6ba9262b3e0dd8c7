# NIJA's Redis (Dapr pub/sub streams, and the dashboard's WebSocket fan-out), registered by the
# Consul agent on its host. secret/nija/redis names it as nija-redis.service.consul.
service {
  name = "nija-redis"
  port = 6379
  tags = ["nija", "redis"]

  check {
    id       = "nija-redis-tcp"
    name     = "Redis accepts connections"
    tcp      = "127.0.0.1:6379"
    interval = "10s"
    timeout  = "2s"
  }
}
