#!/bin/sh
# Starts one role of the service. The container image runs it as its
# entrypoint; `npm start` runs the very same script natively, pointing the
# directories below at its own run directory.
#   entrypoint.sh engine        the ledger Durable Object + LedgerGateway; data in $DATA_DIR/ledger
#   entrypoint.sh api NAME      an API instance listening on $SOCKET_DIR/NAME.sock; its outbox in $DATA_DIR/NAME
#   entrypoint.sh healthcheck SOCKET
set -eu
APP_DIR=${APP_DIR:-/app}
SOCKET_DIR=${SOCKET_DIR:-/run/payments}
DATA_DIR=${DATA_DIR:-/var/lib/payments}
WORKERD=${WORKERD:-workerd}

# The load balancer runs as another user: it must be able to connect to our sockets.
umask 000

case "${1:-}" in
  engine)
    mkdir -p "$SOCKET_DIR" "$DATA_DIR/ledger"
    # A killed engine leaves its socket files behind; bind() refuses existing paths.
    rm -f "$SOCKET_DIR/engine.sock" "$SOCKET_DIR/engine-http.sock"
    exec "$WORKERD" serve "$APP_DIR/workerd/engine.capnp" \
      --socket-addr "rpc=unix:$SOCKET_DIR/engine.sock" \
      --socket-addr "http=unix:$SOCKET_DIR/engine-http.sock" \
      --directory-path "ledger-disk=$DATA_DIR/ledger"
    ;;
  api)
    name=${2:?usage: entrypoint.sh api NAME}
    mkdir -p "$SOCKET_DIR" "$DATA_DIR/$name"
    rm -f "$SOCKET_DIR/$name.sock"
    # The outbox keeps a payment only until the ledger has committed it (~250 ms:
    # it gathers payments that long before each hop).
    # A write that reached the kernel survives this process being killed; only an
    # fsync makes it survive the machine losing power, and one fsync per POST is
    # most of the POST's tail (it doubles to triples the p99; docs/decisions.md).
    # So the outbox skips fsync (libeatmydata) unless OUTBOX_FSYNC=on. The ledger,
    # the system of record, always syncs.
    if [ "${OUTBOX_FSYNC:-off}" != "on" ]; then
      for lib in /usr/lib/x86_64-linux-gnu/libeatmydata.so /usr/lib/libeatmydata.so /usr/lib64/libeatmydata.so; do
        if [ -f "$lib" ]; then export LD_PRELOAD="$lib"; break; fi
      done
      [ -n "${LD_PRELOAD:-}" ] || echo "libeatmydata not found: outbox writes fsync (slower POSTs)" >&2
    fi
    exec "$WORKERD" serve "$APP_DIR/workerd/api.capnp" \
      --socket-addr "http=unix:$SOCKET_DIR/$name.sock" \
      --directory-path "outbox-disk=$DATA_DIR/$name" \
      --external-addr "engine=unix:$SOCKET_DIR/engine.sock"
    ;;
  healthcheck)
    exec curl -fsS -o /dev/null --max-time 2 --unix-socket "${2:?usage: entrypoint.sh healthcheck SOCKET}" http://localhost/health
    ;;
  *)
    echo "usage: entrypoint.sh engine | api NAME | healthcheck SOCKET" >&2
    exit 2
    ;;
esac
