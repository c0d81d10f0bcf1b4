# An API instance: the Hono worker and its own PaymentOutbox Durable Object,
# whose SQLite file lives on this instance's own disk. Payments go from the
# outbox to the engine's ledger by JS RPC over a unix socket. Run as many as you
# like behind the load balancer, each with its own outbox directory.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "api", worker = .api),
    (name = "outbox-disk", disk = (path = "/var/lib/payments/outbox", writable = true)),
    (name = "engine", external = (address = "unix:/run/payments/engine.sock",
                                  http = (capnpConnectHost = "capnp"))),
  ],
  sockets = [
    (name = "http", address = "unix:/run/payments/api.sock", http = (), service = "api"),
  ],
  # Live heap ~1 MB after a full GC; the first full GC otherwise waits for ~12 MB of
  # garbage, with the native memory behind it: --initial-old-space-size=4 keeps the
  # cgroup peak well inside the 60 MB limit (about 40% lower on the short run).
  # --expose-gc: the outbox runs a full GC every 500 ms while forwarding, which frees the
  # native memory behind finished requests and halves the peak under load
  # (durable-objects/payment-outbox.ts says why that often; figures: docs/decisions.md).
  v8Flags = ["--max-old-space-size=24", "--max-semi-space-size=1", "--initial-old-space-size=4", "--expose-gc"],
);

const api :Workerd.Worker = (
  modules = [(name = "api.js", esModule = embed "../dist/api.js")],
  compatibilityDate = "2026-10-01",
  bindings = [
    (name = "LEDGER_RPC", service = "engine"),
    (name = "OUTBOX", durableObjectNamespace = "PaymentOutbox"),
  ],
  durableObjectNamespaces = [
    (className = "PaymentOutbox", uniqueKey = "rinha-payments-outbox", enableSql = true),
  ],
  durableObjectStorage = (localDisk = "outbox-disk"),
);
