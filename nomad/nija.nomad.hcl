# NIJA on Nomad, the monolith: every module in one process, `replicas` times. Each allocation
# runs the app and its Dapr sidecar (daprd) in one group, so they share a network namespace and
# talk over 127.0.0.1. Consul registers and health-checks both; Vault supplies the secrets
# (rendered into the tasks' environment, never into this file or the image).
#
# Run from the repository root (the Dapr resources are read from dapr/components/ when the job is
# submitted): nomad job run -var image=ghcr.io/nija/nija:0.1.0 nomad/nija.nomad.hcl
# tests/ops/test_nomad_jobs.py checks this file against the code; nomad/README.md is the runbook.

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

variable "replicas" {
  type    = number
  default = 2
}

variable "vault_addr" {
  type        = string
  description = "Vault as the app reaches it (Transit, for the credential vault's keys)"
  default     = "https://vault.service.consul:8200"
}

variable "trusted_proxies" {
  type        = string
  description = "Comma list of the ingress proxies' addresses or CIDR blocks (NIJA_TRUSTED_PROXIES); empty: none"
  default     = ""
}

job "nija" {
  datacenters = var.datacenters
  type        = "service"

  update {
    max_parallel     = 1
    health_check     = "checks"
    min_healthy_time = "10s"
    healthy_deadline = "5m"
    auto_revert      = true
  }

  group "app" {
    count = var.replicas

    network {
      mode = "bridge"

      port "http" {
        to = 8000
      }

      port "dapr_metrics" {
        to = 9090
      }
    }

    restart {
      attempts = 3
      interval = "5m"
      delay    = "15s"
      mode     = "delay"
    }

    service {
      name     = "nija"
      provider = "consul"
      port     = "http"
      # `metrics`: Prometheus scrapes /metrics (nomad/prometheus/prometheus.yml); `traefik.*`: the
      # ingress publishes the API, the socket and the web front-ends, never /health, /ready or
      # /metrics. Priority 1: a module's group of the split job, run beside this job, takes its
      # module's paths (its routers have priority 10, and claim only that module's paths).
      tags = [
        "metrics",
        "traefik.enable=true",
        "traefik.http.routers.nija.rule=PathPrefix(`/v1`) || PathPrefix(`/schema`) || PathPrefix(`/admin`) || PathPrefix(`/app`)",
        "traefik.http.routers.nija.priority=1",
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

      # Ready means the database and the Dapr sidecar answer; until then Consul keeps the
      # instance out of rotation and the rolling update waits.
      check {
        name     = "ready"
        type     = "http"
        path     = "/ready"
        interval = "10s"
        timeout  = "3s"
      }
    }

    service {
      name     = "nija-dapr-metrics"
      provider = "consul"
      port     = "dapr_metrics"
      tags     = ["metrics"]

      meta {
        metrics_path = "/metrics"
      }
    }

    task "daprd" {
      driver = "docker"

      # Started before the app and kept running beside it: the app waits for
      # /v1.0/healthz/outbound before its first publish or state call.
      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      # Token written to /secrets/vault_token, read by dapr/components/secretstore.yaml.
      vault {
        role        = "nija-dapr"
        change_mode = "restart"
      }

      config {
        image   = var.daprd_image
        command = "./daprd"
        args = [
          "--app-id", "nija",
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

      # APP_API_TOKEN: daprd sends it on every call to the app, which refuses calls without
      # it. DAPR_API_TOKEN: daprd refuses API calls without it (the SDK sends it).
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

      # Components and resiliency, copied from the repository when the job is submitted.
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

    task "app" {
      driver = "docker"

      # nija-keyring: the app task of the monolith hosts vault and execution, so it may read the
      # Transit AppRole's credentials (nomad/vault/).
      vault {
        role        = "nija-keyring"
        change_mode = "restart"
      }

      # The image's entry point is `nija`; these are its arguments.
      config {
        image = var.image
        args  = ["run", "--host", "0.0.0.0", "--port", "8000"]
      }

      env {
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
        # How long the Dapr SDK waits for the sidecar at start-up.
        DAPR_HEALTH_TIMEOUT = "120"
      }

      # Secrets go to the environment only; the file lives in the task's in-memory secrets
      # directory. A secret changed in Vault restarts the task with the new value.
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
        cpu    = 500
        memory = 512
      }
    }
  }
}
