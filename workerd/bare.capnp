# The bench's latency floor (scripts/floor.mjs): one bare worker answering 202
# to everything, so the same load against it shows what this machine, workerd
# and the client cost before the service does any work.
#   workerd serve workerd/bare.capnp -s http=127.0.0.1:PORT
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "bare", worker = .bare)],
  sockets = [(name = "http", address = "*:9999", http = (), service = "bare")],
);

const bare :Workerd.Worker = (
  modules = [(name = "bare.js", esModule = embed "bare.js")],
  compatibilityDate = "2026-10-01",
);
