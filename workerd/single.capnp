# Everything in one workerd process: the API worker, its outbox and the ledger
# Durable Object side by side. The integration and crash tests use it; it is also the
# smallest way to run the service for real without wrangler.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "api", worker = .api),
    (name = "ledger-disk", disk = (path = "/var/lib/payments", writable = true)),
    (name = "processors", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [
    (name = "http", address = "*:9999", http = (), service = "api"),
  ],
  # --expose-gc: as in api.capnp and engine.capnp (durable-objects/native-memory.ts).
  v8Flags = ["--max-old-space-size=64", "--max-semi-space-size=2", "--expose-gc"],
);

const api :Workerd.Worker = (
  modules = [(name = "api.js", esModule = embed "../dist/api.js")],
  compatibilityDate = "2026-10-01",
  bindings = [
    (name = "LEDGER", durableObjectNamespace = "PaymentLedger"),
    (name = "OUTBOX", durableObjectNamespace = "PaymentOutbox"),
    # Unset, these three are the one-ledger topology (workers/mode.ts);
    # LEDGER_SHARDS=4 serves the ledger in shards (bench/shards measures it).
    (name = "LEDGER_SHARDS", fromEnvironment = "LEDGER_SHARDS"),
    (name = "DEPLOYMENT", fromEnvironment = "DEPLOYMENT"),
    (name = "ADMIN_SECRET", fromEnvironment = "ADMIN_SECRET"),
    (name = "HEALTH", durableObjectNamespace = "ProcessorHealth"),
    (name = "PROCESSOR_DEFAULT_URL", fromEnvironment = "PROCESSOR_DEFAULT_URL"),
    (name = "PROCESSOR_FALLBACK_URL", fromEnvironment = "PROCESSOR_FALLBACK_URL"),
    (name = "PROCESSOR_TIMEOUT_MS", fromEnvironment = "PROCESSOR_TIMEOUT_MS"),
    (name = "MAX_IN_FLIGHT", fromEnvironment = "MAX_IN_FLIGHT"),
    (name = "MAX_IN_FLIGHT_TOTAL", fromEnvironment = "MAX_IN_FLIGHT_TOTAL"),
    (name = "FALLBACK_AFTER_MS", fromEnvironment = "FALLBACK_AFTER_MS"),
    (name = "PARK_MS", fromEnvironment = "PARK_MS"),
    (name = "SETTLE_AFTER_MS", fromEnvironment = "SETTLE_AFTER_MS"),
  ],
  durableObjectNamespaces = [
    (className = "PaymentLedger", uniqueKey = "rinha-payments-ledger", enableSql = true),
    (className = "PaymentOutbox", uniqueKey = "rinha-payments-outbox", enableSql = true),
    (className = "ProcessorHealth", uniqueKey = "rinha-payments-health", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "ledger-disk"),
  globalOutbound = "processors",
);
