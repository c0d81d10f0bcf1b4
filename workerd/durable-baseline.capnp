# The bench's durable baseline (scripts/floor.mjs, workerd/durable-baseline.js):
# each POST committed to a same-process Durable Object before its 202.
#   workerd serve workerd/durable-baseline.capnp -s http=127.0.0.1:PORT --directory-path floor-disk=DIR
# Run it as the API instances run (deploy/entrypoint.sh): with libeatmydata
# preloaded, so a commit is in the kernel, not on the platter, before the 202.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "floor", worker = .floor),
    (name = "floor-disk", disk = (path = "/var/lib/payments/floor", writable = true)),
  ],
  sockets = [(name = "http", address = "*:9999", http = (), service = "floor")],
  # --expose-gc: the object runs a full GC every 500 ms, as the outbox does, or
  # the native memory of finished requests piles up (native-memory.ts).
  v8Flags = ["--expose-gc"],
);

const floor :Workerd.Worker = (
  modules = [(name = "durable-baseline.js", esModule = embed "durable-baseline.js")],
  compatibilityDate = "2026-10-01",
  bindings = [(name = "ROWS", durableObjectNamespace = "Rows")],
  durableObjectNamespaces = [(className = "Rows", uniqueKey = "rinha-durable-baseline", enableSql = true)],
  durableObjectStorage = (localDisk = "floor-disk"),
);
