# NIJA on Nomad, split: one group per module, each with its own Dapr sidecar and app id
# (`nija-<module>`) and a process that hosts that module alone (`NIJA_MODULES=<module>`). The
# groups differ only in configuration: the same image, the same code, the modules talking through
# pub/sub and state exactly as in the monolith (nomad/nija.nomad.hcl). The ingress (Traefik, from
# the Consul tags) sends each path to the group whose module serves it; tests/ops/ checks that
# every route lands on its module's group, and that every module is hosted by exactly one group.
#
# Only the groups that seal or open secrets with Vault Transit (identity: TOTP seeds; vault and
# execution: exchange keys) get the Transit AppRole (Vault role nija-keyring); only dashboard, which
# holds the WebSockets, gets Redis for fan-out across its replicas.
#
# Run from the repository root, instead of the monolith (not beside it: both would consume the same
# topics): nomad job run -var image=ghcr.io/nija/nija:0.1.0 nomad/nija-split.nomad.hcl

variable "image" {
  type        = string
  description = "NIJA application image (built from the repository's Dockerfile)"
  default     = "ghcr.io/nija/nija:0.1.0"
}

variable "daprd_image" {
  type    = string
  default = "daprio/daprd:1.15.5"
}

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}

variable "counts" {
  type        = map(number)
  description = "Replicas per module"
  default = {
    identity  = 2
    vault     = 2
    routing   = 2
    execution = 2
    dashboard = 2
    strategy  = 1
  }
}

variable "vault_addr" {
  type    = string
  default = "https://vault.service.consul:8200"
}

variable "trusted_proxies" {
  type        = string
  description = "Comma list of the ingress proxies' addresses or CIDR blocks (NIJA_TRUSTED_PROXIES); empty: none"
  default     = ""
}

job "nija-split" {
  datacenters = var.datacenters
  type        = "service"

  update {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "5m"
    auto_revert      = true
  }

  # identity: accounts, sign-in, sessions, second factors; seals TOTP seeds with Transit.
  group "identity" {
    count = var.counts.identity

    network {
      mode = "bridge"

      port "http" {
        to = 8000
      }

      port "dapr_metrics" {
        to = 9090
      }
    }

    service {
      name     = "nija-identity"
      provider = "consul"
      port     = "http"
      tags = [
        "metrics",
        "traefik.enable=true",
        "traefik.http.routers.nija-identity.rule=PathPrefix(`/v1/auth`) || Path(`/v1/settings/profile`) || Path(`/v1/admin/users`) || PathRegexp(`^/v1/admin/users/[^/]+(/(suspend|reinstate|tier))?$`) || PathRegexp(`^/v1/admin/users/[^/]+/(sessions|devices)(/[^/]+)?$`)",
        "traefik.http.routers.nija-identity.priority=10",
        "traefik.http.routers.nija-identity.service=nija-identity",
      ]

      meta {
        metrics_path = "/metrics"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }

      check {
        name     = "ready"
        type     = "http"
        path     = "/ready"
        interval = "10s"
        timeout  = "3s"
      }
    }

    service {
      name     = "nija-identity-dapr-metrics"
      provider = "consul"
      port     = "dapr_metrics"
      tags     = ["metrics"]

      meta {
        metrics_path = "/metrics"
      }
    }

    task "daprd" {
      driver = "docker"

      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      vault {
        role        = "nija-dapr"
        change_mode = "restart"
      }

      config {
        image   = var.daprd_image
        command = "./daprd"
        args = [
          "--app-id", "nija-identity",
          "--app-port", "8000",
          "--app-protocol", "http",
          "--app-channel-address", "127.0.0.1",
          "--enable-app-health-check",
          "--app-health-check-path", "/health",
          "--dapr-listen-addresses", "127.0.0.1",
          "--dapr-http-port", "3500",
          "--dapr-grpc-port", "50001",
          "--resources-path", "/local/components",
          "--metrics-port", "9090",
          "--log-as-json",
        ]
      }

      template {
        destination = "secrets/dapr.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      dynamic "template" {
        for_each = fileset(".", "dapr/components/*.yaml")

        content {
          data        = file(template.value)
          destination = "local/components/${basename(template.value)}"
          change_mode = "restart"
        }
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }

    task "identity" {
      driver = "docker"

      vault {
        role        = "nija-keyring"
        change_mode = "restart"
      }

      config {
        image = var.image
        args  = ["run", "--host", "0.0.0.0", "--port", "8000"]
      }

      env {
        NIJA_MODULES            = "identity"
        NIJA_ENV                = "prod"
        NIJA_PUBSUB             = "dapr"
        NIJA_STATE              = "dapr"
        NIJA_DAPR_GRPC_ADDRESS  = "127.0.0.1:50001"
        NIJA_DAPR_HTTP_ENDPOINT = "http://127.0.0.1:3500"
        NIJA_DATA_DIR           = "/alloc/data/nija"
        NIJA_LOG_JSON           = "true"
        NIJA_KEYRING            = "vault"
        NIJA_VAULT_ADDR         = var.vault_addr
        NIJA_TRUSTED_PROXIES    = var.trusted_proxies
        DAPR_HEALTH_TIMEOUT     = "120"
      }

      template {
        destination = "secrets/nija.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/database" }}NIJA_DATABASE_URL={{ .Data.data.url | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/jwt" }}NIJA_JWT_SECRET={{ .Data.data.secret | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/transit-approle" }}
          NIJA_VAULT_ROLE_ID={{ .Data.data.role_id | toJSON }}
          NIJA_VAULT_SECRET_ID={{ .Data.data.secret_id | toJSON }}
          {{ end }}
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      resources {
        cpu    = 300
        memory = 256
      }
    }
  }

  # vault: exchange credentials and the audit log; seals keys with Transit.
  group "vault" {
    count = var.counts.vault

    network {
      mode = "bridge"

      port "http" {
        to = 8000
      }

      port "dapr_metrics" {
        to = 9090
      }
    }

    service {
      name     = "nija-vault"
      provider = "consul"
      port     = "http"
      tags = [
        "metrics",
        "traefik.enable=true",
        "traefik.http.routers.nija-vault.rule=PathPrefix(`/v1/credentials`) || Path(`/v1/audit`) || PathPrefix(`/v1/admin/audit`) || PathRegexp(`^/v1/admin/users/[^/]+/credentials$`)",
        "traefik.http.routers.nija-vault.priority=10",
        "traefik.http.routers.nija-vault.service=nija-vault",
      ]

      meta {
        metrics_path = "/metrics"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }

      check {
        name     = "ready"
        type     = "http"
        path     = "/ready"
        interval = "10s"
        timeout  = "3s"
      }
    }

    service {
      name     = "nija-vault-dapr-metrics"
      provider = "consul"
      port     = "dapr_metrics"
      tags     = ["metrics"]

      meta {
        metrics_path = "/metrics"
      }
    }

    task "daprd" {
      driver = "docker"

      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      vault {
        role        = "nija-dapr"
        change_mode = "restart"
      }

      config {
        image   = var.daprd_image
        command = "./daprd"
        args = [
          "--app-id", "nija-vault",
          "--app-port", "8000",
          "--app-protocol", "http",
          "--app-channel-address", "127.0.0.1",
          "--enable-app-health-check",
          "--app-health-check-path", "/health",
          "--dapr-listen-addresses", "127.0.0.1",
          "--dapr-http-port", "3500",
          "--dapr-grpc-port", "50001",
          "--resources-path", "/local/components",
          "--metrics-port", "9090",
          "--log-as-json",
        ]
      }

      template {
        destination = "secrets/dapr.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      dynamic "template" {
        for_each = fileset(".", "dapr/components/*.yaml")

        content {
          data        = file(template.value)
          destination = "local/components/${basename(template.value)}"
          change_mode = "restart"
        }
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }

    task "vault" {
      driver = "docker"

      vault {
        role        = "nija-keyring"
        change_mode = "restart"
      }

      config {
        image = var.image
        args  = ["run", "--host", "0.0.0.0", "--port", "8000"]
      }

      env {
        NIJA_MODULES            = "vault"
        NIJA_ENV                = "prod"
        NIJA_PUBSUB             = "dapr"
        NIJA_STATE              = "dapr"
        NIJA_DAPR_GRPC_ADDRESS  = "127.0.0.1:50001"
        NIJA_DAPR_HTTP_ENDPOINT = "http://127.0.0.1:3500"
        NIJA_DATA_DIR           = "/alloc/data/nija"
        NIJA_LOG_JSON           = "true"
        NIJA_KEYRING            = "vault"
        NIJA_VAULT_ADDR         = var.vault_addr
        NIJA_TRUSTED_PROXIES    = var.trusted_proxies
        DAPR_HEALTH_TIMEOUT     = "120"
      }

      template {
        destination = "secrets/nija.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/database" }}NIJA_DATABASE_URL={{ .Data.data.url | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/jwt" }}NIJA_JWT_SECRET={{ .Data.data.secret | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/transit-approle" }}
          NIJA_VAULT_ROLE_ID={{ .Data.data.role_id | toJSON }}
          NIJA_VAULT_SECRET_ID={{ .Data.data.secret_id | toJSON }}
          {{ end }}
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      resources {
        cpu    = 200
        memory = 256
      }
    }
  }

  # routing: order intake, risk gate, venue scoring.
  group "routing" {
    count = var.counts.routing

    network {
      mode = "bridge"

      port "http" {
        to = 8000
      }

      port "dapr_metrics" {
        to = 9090
      }
    }

    service {
      name     = "nija-routing"
      provider = "consul"
      port     = "http"
      tags = [
        "metrics",
        "traefik.enable=true",
        "traefik.http.routers.nija-routing.rule=PathPrefix(`/v1/orders`) || PathPrefix(`/v1/settings/trading`) || Path(`/v1/admin/kill-switch`) || Path(`/v1/admin/routing`) || PathRegexp(`^/v1/positions/[^/]+/close$`)",
        "traefik.http.routers.nija-routing.priority=10",
        "traefik.http.routers.nija-routing.service=nija-routing",
      ]

      meta {
        metrics_path = "/metrics"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }

      check {
        name     = "ready"
        type     = "http"
        path     = "/ready"
        interval = "10s"
        timeout  = "3s"
      }
    }

    service {
      name     = "nija-routing-dapr-metrics"
      provider = "consul"
      port     = "dapr_metrics"
      tags     = ["metrics"]

      meta {
        metrics_path = "/metrics"
      }
    }

    task "daprd" {
      driver = "docker"

      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      vault {
        role        = "nija-dapr"
        change_mode = "restart"
      }

      config {
        image   = var.daprd_image
        command = "./daprd"
        args = [
          "--app-id", "nija-routing",
          "--app-port", "8000",
          "--app-protocol", "http",
          "--app-channel-address", "127.0.0.1",
          "--enable-app-health-check",
          "--app-health-check-path", "/health",
          "--dapr-listen-addresses", "127.0.0.1",
          "--dapr-http-port", "3500",
          "--dapr-grpc-port", "50001",
          "--resources-path", "/local/components",
          "--metrics-port", "9090",
          "--log-as-json",
        ]
      }

      template {
        destination = "secrets/dapr.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      dynamic "template" {
        for_each = fileset(".", "dapr/components/*.yaml")

        content {
          data        = file(template.value)
          destination = "local/components/${basename(template.value)}"
          change_mode = "restart"
        }
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }

    task "routing" {
      driver = "docker"

      vault {
        role        = "nija-app"
        change_mode = "restart"
      }

      config {
        image = var.image
        args  = ["run", "--host", "0.0.0.0", "--port", "8000"]
      }

      env {
        NIJA_MODULES            = "routing"
        NIJA_ENV                = "prod"
        NIJA_PUBSUB             = "dapr"
        NIJA_STATE              = "dapr"
        NIJA_DAPR_GRPC_ADDRESS  = "127.0.0.1:50001"
        NIJA_DAPR_HTTP_ENDPOINT = "http://127.0.0.1:3500"
        NIJA_DATA_DIR           = "/alloc/data/nija"
        NIJA_LOG_JSON           = "true"
        NIJA_TRUSTED_PROXIES    = var.trusted_proxies
        DAPR_HEALTH_TIMEOUT     = "120"
      }

      template {
        destination = "secrets/nija.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/database" }}NIJA_DATABASE_URL={{ .Data.data.url | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/jwt" }}NIJA_JWT_SECRET={{ .Data.data.secret | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      resources {
        cpu    = 500
        memory = 384
      }
    }
  }

  # execution: venue queues and placement; unseals keys with Transit to sign orders.
  group "execution" {
    count = var.counts.execution

    network {
      mode = "bridge"

      port "http" {
        to = 8000
      }

      port "dapr_metrics" {
        to = 9090
      }
    }

    service {
      name     = "nija-execution"
      provider = "consul"
      port     = "http"
      tags = [
        "metrics",
        "traefik.enable=true",
        "traefik.http.routers.nija-execution.rule=Path(`/v1/positions`) || PathRegexp(`^/v1/positions/[^/]+$`) || Path(`/v1/venues`) || PathPrefix(`/v1/admin/venues`) || PathRegexp(`^/v1/admin/users/[^/]+/trading/resume$`) || PathRegexp(`^/v1/admin/users/[^/]+/positions$`)",
        "traefik.http.routers.nija-execution.priority=10",
        "traefik.http.routers.nija-execution.service=nija-execution",
      ]

      meta {
        metrics_path = "/metrics"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }

      check {
        name     = "ready"
        type     = "http"
        path     = "/ready"
        interval = "10s"
        timeout  = "3s"
      }
    }

    service {
      name     = "nija-execution-dapr-metrics"
      provider = "consul"
      port     = "dapr_metrics"
      tags     = ["metrics"]

      meta {
        metrics_path = "/metrics"
      }
    }

    task "daprd" {
      driver = "docker"

      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      vault {
        role        = "nija-dapr"
        change_mode = "restart"
      }

      config {
        image   = var.daprd_image
        command = "./daprd"
        args = [
          "--app-id", "nija-execution",
          "--app-port", "8000",
          "--app-protocol", "http",
          "--app-channel-address", "127.0.0.1",
          "--enable-app-health-check",
          "--app-health-check-path", "/health",
          "--dapr-listen-addresses", "127.0.0.1",
          "--dapr-http-port", "3500",
          "--dapr-grpc-port", "50001",
          "--resources-path", "/local/components",
          "--metrics-port", "9090",
          "--log-as-json",
        ]
      }

      template {
        destination = "secrets/dapr.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      dynamic "template" {
        for_each = fileset(".", "dapr/components/*.yaml")

        content {
          data        = file(template.value)
          destination = "local/components/${basename(template.value)}"
          change_mode = "restart"
        }
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }

    task "execution" {
      driver = "docker"

      vault {
        role        = "nija-keyring"
        change_mode = "restart"
      }

      config {
        image = var.image
        args  = ["run", "--host", "0.0.0.0", "--port", "8000"]
      }

      env {
        NIJA_MODULES            = "execution"
        NIJA_ENV                = "prod"
        NIJA_PUBSUB             = "dapr"
        NIJA_STATE              = "dapr"
        NIJA_DAPR_GRPC_ADDRESS  = "127.0.0.1:50001"
        NIJA_DAPR_HTTP_ENDPOINT = "http://127.0.0.1:3500"
        NIJA_DATA_DIR           = "/alloc/data/nija"
        NIJA_LOG_JSON           = "true"
        NIJA_KEYRING            = "vault"
        NIJA_VAULT_ADDR         = var.vault_addr
        NIJA_TRUSTED_PROXIES    = var.trusted_proxies
        DAPR_HEALTH_TIMEOUT     = "120"
      }

      template {
        destination = "secrets/nija.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/database" }}NIJA_DATABASE_URL={{ .Data.data.url | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/jwt" }}NIJA_JWT_SECRET={{ .Data.data.secret | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/transit-approle" }}
          NIJA_VAULT_ROLE_ID={{ .Data.data.role_id | toJSON }}
          NIJA_VAULT_SECRET_ID={{ .Data.data.secret_id | toJSON }}
          {{ end }}
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }

  # dashboard: the traders' read model, the WebSocket (fanned out through Redis) and push
  # notifications (device tokens sealed with Transit, sent through Expo).
  group "dashboard" {
    count = var.counts.dashboard

    network {
      mode = "bridge"

      port "http" {
        to = 8000
      }

      port "dapr_metrics" {
        to = 9090
      }
    }

    service {
      name     = "nija-dashboard"
      provider = "consul"
      port     = "http"
      tags = [
        "metrics",
        "traefik.enable=true",
        "traefik.http.routers.nija-dashboard.rule=PathPrefix(`/v1/dashboard`) || PathPrefix(`/v1/notifications`) || Path(`/v1/ws`) || PathPrefix(`/admin`) || PathPrefix(`/app`) || PathPrefix(`/v1/price-alerts`) || PathPrefix(`/v1/push`) || Path(`/v1/admin/overview`) || PathRegexp(`^/v1/admin/users/[^/]+/(orders|push-devices(/[^/]+)?)$`)",
        "traefik.http.routers.nija-dashboard.priority=10",
        "traefik.http.routers.nija-dashboard.service=nija-dashboard",
      ]

      meta {
        metrics_path = "/metrics"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }

      check {
        name     = "ready"
        type     = "http"
        path     = "/ready"
        interval = "10s"
        timeout  = "3s"
      }
    }

    service {
      name     = "nija-dashboard-dapr-metrics"
      provider = "consul"
      port     = "dapr_metrics"
      tags     = ["metrics"]

      meta {
        metrics_path = "/metrics"
      }
    }

    task "daprd" {
      driver = "docker"

      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      vault {
        role        = "nija-dapr"
        change_mode = "restart"
      }

      config {
        image   = var.daprd_image
        command = "./daprd"
        args = [
          "--app-id", "nija-dashboard",
          "--app-port", "8000",
          "--app-protocol", "http",
          "--app-channel-address", "127.0.0.1",
          "--enable-app-health-check",
          "--app-health-check-path", "/health",
          "--dapr-listen-addresses", "127.0.0.1",
          "--dapr-http-port", "3500",
          "--dapr-grpc-port", "50001",
          "--resources-path", "/local/components",
          "--metrics-port", "9090",
          "--log-as-json",
        ]
      }

      template {
        destination = "secrets/dapr.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      dynamic "template" {
        for_each = fileset(".", "dapr/components/*.yaml")

        content {
          data        = file(template.value)
          destination = "local/components/${basename(template.value)}"
          change_mode = "restart"
        }
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }

    task "dashboard" {
      driver = "docker"

      vault {
        role        = "nija-keyring"
        change_mode = "restart"
      }

      config {
        image = var.image
        args  = ["run", "--host", "0.0.0.0", "--port", "8000"]
      }

      env {
        NIJA_MODULES            = "dashboard"
        NIJA_ENV                = "prod"
        NIJA_PUBSUB             = "dapr"
        NIJA_STATE              = "dapr"
        NIJA_DAPR_GRPC_ADDRESS  = "127.0.0.1:50001"
        NIJA_DAPR_HTTP_ENDPOINT = "http://127.0.0.1:3500"
        NIJA_DATA_DIR           = "/alloc/data/nija"
        NIJA_LOG_JSON           = "true"
        NIJA_KEYRING            = "vault"
        NIJA_VAULT_ADDR         = var.vault_addr
        NIJA_TRUSTED_PROXIES    = var.trusted_proxies
        DAPR_HEALTH_TIMEOUT     = "120"
      }

      template {
        destination = "secrets/nija.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/database" }}NIJA_DATABASE_URL={{ .Data.data.url | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/jwt" }}NIJA_JWT_SECRET={{ .Data.data.secret | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/redis" }}NIJA_REDIS_URL={{ .Data.data.url | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/expo" }}NIJA_EXPO_ACCESS_TOKEN={{ .Data.data.access_token | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/transit-approle" }}
          NIJA_VAULT_ROLE_ID={{ .Data.data.role_id | toJSON }}
          NIJA_VAULT_SECRET_ID={{ .Data.data.secret_id | toJSON }}
          {{ end }}
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      resources {
        cpu    = 300
        memory = 384
      }
    }
  }

  # strategy: the bots and backtests.
  group "strategy" {
    count = var.counts.strategy

    network {
      mode = "bridge"

      port "http" {
        to = 8000
      }

      port "dapr_metrics" {
        to = 9090
      }
    }

    service {
      name     = "nija-strategy"
      provider = "consul"
      port     = "http"
      tags = [
        "metrics",
        "traefik.enable=true",
        "traefik.http.routers.nija-strategy.rule=PathPrefix(`/v1/bot`) || PathPrefix(`/v1/backtests`) || Path(`/v1/signals`) || PathPrefix(`/v1/webhooks`) || PathRegexp(`^/v1/admin/users/[^/]+/bot$`)",
        "traefik.http.routers.nija-strategy.priority=10",
        "traefik.http.routers.nija-strategy.service=nija-strategy",
      ]

      meta {
        metrics_path = "/metrics"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }

      check {
        name     = "ready"
        type     = "http"
        path     = "/ready"
        interval = "10s"
        timeout  = "3s"
      }
    }

    service {
      name     = "nija-strategy-dapr-metrics"
      provider = "consul"
      port     = "dapr_metrics"
      tags     = ["metrics"]

      meta {
        metrics_path = "/metrics"
      }
    }

    task "daprd" {
      driver = "docker"

      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      vault {
        role        = "nija-dapr"
        change_mode = "restart"
      }

      config {
        image   = var.daprd_image
        command = "./daprd"
        args = [
          "--app-id", "nija-strategy",
          "--app-port", "8000",
          "--app-protocol", "http",
          "--app-channel-address", "127.0.0.1",
          "--enable-app-health-check",
          "--app-health-check-path", "/health",
          "--dapr-listen-addresses", "127.0.0.1",
          "--dapr-http-port", "3500",
          "--dapr-grpc-port", "50001",
          "--resources-path", "/local/components",
          "--metrics-port", "9090",
          "--log-as-json",
        ]
      }

      template {
        destination = "secrets/dapr.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      dynamic "template" {
        for_each = fileset(".", "dapr/components/*.yaml")

        content {
          data        = file(template.value)
          destination = "local/components/${basename(template.value)}"
          change_mode = "restart"
        }
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }

    task "strategy" {
      driver = "docker"

      vault {
        role        = "nija-app"
        change_mode = "restart"
      }

      config {
        image = var.image
        args  = ["run", "--host", "0.0.0.0", "--port", "8000"]
      }

      env {
        NIJA_MODULES            = "strategy"
        NIJA_ENV                = "prod"
        NIJA_PUBSUB             = "dapr"
        NIJA_STATE              = "dapr"
        NIJA_DAPR_GRPC_ADDRESS  = "127.0.0.1:50001"
        NIJA_DAPR_HTTP_ENDPOINT = "http://127.0.0.1:3500"
        NIJA_DATA_DIR           = "/alloc/data/nija"
        NIJA_LOG_JSON           = "true"
        NIJA_TRUSTED_PROXIES    = var.trusted_proxies
        DAPR_HEALTH_TIMEOUT     = "120"
      }

      template {
        destination = "secrets/nija.env"
        env         = true
        change_mode = "restart"
        data        = <<-EOT
          {{ with secret "secret/data/nija/database" }}NIJA_DATABASE_URL={{ .Data.data.url | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/jwt" }}NIJA_JWT_SECRET={{ .Data.data.secret | toJSON }}{{ end }}
          {{ with secret "secret/data/nija/dapr" }}
          APP_API_TOKEN={{ .Data.data.app_token | toJSON }}
          DAPR_API_TOKEN={{ .Data.data.api_token | toJSON }}
          {{ end }}
        EOT
      }

      resources {
        cpu    = 500
        memory = 512
      }
    }
  }
}
