# The post-layers benchmark (run.mjs): worker.ts bundled to dist/worker.js.
#   workerd serve bench/post-layers/layers.capnp -s http=127.0.0.1:PORT -d sink-disk=DIR
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "layers", worker = .layers),
    (name = "sink-disk", disk = (path = "/tmp/post-layers", writable = true)),
  ],
  sockets = [(name = "http", address = "127.0.0.1:9911", http = (), service = "layers")],
  # The API instances' flags (workerd/api.capnp), so each layer pays what the service pays.
  v8Flags = ["--max-old-space-size=24", "--max-semi-space-size=1", "--initial-old-space-size=4", "--expose-gc"],
);

const layers :Workerd.Worker = (
  modules = [(name = "worker.js", esModule = embed "dist/worker.js")],
  compatibilityDate = "2026-10-01",
  bindings = [(name = "SINK", durableObjectNamespace = "Sink")],
  durableObjectNamespaces = [(className = "Sink", uniqueKey = "post-layers-sink", enableSql = true)],
  durableObjectStorage = (localDisk = "sink-disk"),
);
