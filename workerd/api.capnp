# An API instance: the Hono worker, stateless, reaching the engine's ledger by
# JS RPC over a unix socket. Run as many as you like behind the load balancer.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [
    (name = "api", worker = .api),
    (name = "engine", external = (address = "unix:/run/payments/engine.sock",
                                  http = (capnpConnectHost = "capnp"))),
  ],
  sockets = [
    (name = "http", address = "unix:/run/payments/api.sock", http = (), service = "api"),
  ],
  v8Flags = ["--max-old-space-size=24", "--max-semi-space-size=1"],
);

const api :Workerd.Worker = (
  modules = [(name = "api.js", esModule = embed "../dist/api.js")],
  compatibilityDate = "2026-10-01",
  bindings = [(name = "LEDGER_RPC", service = "engine")],
);
