# The engine: hosts the PaymentLedger Durable Object (queue, dispatcher, books)
# with its SQLite file on local disk, and serves the LedgerGateway entrypoint to
# the API instances by JS RPC over a unix socket. Built bundle: ../dist/api.js
# (`npm run build`). Addresses below are the container defaults; the native
# stack overrides them with `workerd serve -s name=addr -d name=path`.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "engine", worker = .engine),
    (name = "ledger-disk", disk = (path = "/var/lib/payments/ledger", writable = true)),
    # The processors live on loopback or a private network; workerd refuses those unless allowed.
    (name = "processors", network = (allow = ["public", "private", "local"])),
  ],
  sockets = [
    (name = "rpc", address = "unix:/run/payments/engine.sock",
     http = (capnpConnectHost = "capnp"),
     service = (name = "engine", entrypoint = "LedgerGateway")),
    # Plain HTTP for health checks (and the summary; POSTs belong to the API instances' outboxes).
    (name = "http", address = "unix:/run/payments/engine-http.sock", http = (), service = "engine"),
  ],
  # V8 does not see the container's memory limit: bound the heap ourselves.
  # The live heap is small (~1-3 MB after a full GC, even at peak load); what grows is
  # native memory (workerd objects behind dead JS wrappers) freed only by a full GC.
  # A low first GC trigger (--initial-old-space-size) and --optimize-for-size make full
  # GCs come every few MB instead of at ~25 MB, which takes tens of MiB off the engine's peak.
  # --expose-gc: the ledger runs a full GC a second while requests are on the wire, the only
  # thing that frees each fetch's native memory (durable-objects/native-memory.ts); with
  # hundreds on the wire that is another ~20% of the peak (figures: docs/decisions.md).
  v8Flags = ["--max-old-space-size=48", "--max-semi-space-size=1", "--initial-old-space-size=4", "--optimize-for-size",
             "--expose-gc"],
);

const engine :Workerd.Worker = (
  modules = [(name = "api.js", esModule = embed "../dist/api.js")],
  compatibilityDate = "2026-10-01",
  bindings = [
    (name = "LEDGER", durableObjectNamespace = "PaymentLedger"),
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
  ],
  durableObjectStorage = (localDisk = "ledger-disk"),
  globalOutbound = "processors",
);
