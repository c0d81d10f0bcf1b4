# The image behind api-1, api-2 and engine in compose.yaml: workerd, the bundled
# worker and the role configs. The role comes from the command:
#   engine | api NAME | healthcheck SOCKET   (see deploy/entrypoint.sh)
#
# linux/amd64 only: the contest's host is x86-64, and the workerd binary below
# is the linux-64 platform package's. On another machine this builds emulated.

# --- build: npm install, then bundle the worker to dist/api.js ---------------
# hadolint ignore=DL3029
FROM --platform=linux/amd64 node:22-bookworm-slim AS build
WORKDIR /src
ENV CI=true WRANGLER_SEND_METRICS=false
COPY package.json package-lock.json ./
# `npm install`, not `npm ci` (as .ci/run): the lockfile has no entries for the
# darwin/windows workerd packages (they could not be resolved where it was
# made), and `npm ci` refuses it. The versions installed still come from it.
RUN npm install --no-audit --no-fund
COPY . .
# Bundle, then check that the platform binary copied below is the hoisted
# workerd's (the one node_modules/.bin/workerd runs), and that it starts.
RUN npm run build \
 && test -s dist/api.js \
 && node -e 'const v = require("workerd/package.json").version, p = require("@cloudflare/workerd-linux-64/package.json").version; if (v !== p) throw new Error("workerd " + v + " but platform binary " + p)' \
 && ./node_modules/@cloudflare/workerd-linux-64/bin/workerd --version

# --- runtime: workerd + the bundle + the configs ------------------------------
# hadolint ignore=DL3029
FROM --platform=linux/amd64 debian:bookworm-slim
# curl: the healthcheck (over a unix socket); ca-certificates: processors over https;
# libeatmydata1: lets the API's outbox skip fsync (see deploy/entrypoint.sh).
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl ca-certificates libeatmydata1 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

COPY --from=build /src/node_modules/@cloudflare/workerd-linux-64/bin/workerd /usr/local/bin/workerd
COPY --from=build /src/dist/api.js /app/dist/api.js
COPY workerd/*.capnp /app/workerd/
COPY --chmod=755 deploy/entrypoint.sh /app/deploy/entrypoint.sh

# compose's healthchecks run `healthcheck SOCKET`.
# Mount points of the named volumes: sockets shared with the balancer; the ledger's
# SQLite (engine) or the instance's outbox (api-1, api-2).
# hadolint ignore=SC2016
RUN printf '#!/bin/sh\nexec "${APP_DIR:-/app}/deploy/entrypoint.sh" healthcheck "$1"\n' > /usr/local/bin/healthcheck \
 && chmod 755 /usr/local/bin/healthcheck \
 && mkdir -p /run/payments /var/lib/payments \
 && workerd --version

# Runs as root, on purpose: the engine and the APIs write their data volumes and every role
# creates its socket in the `sockets` volume, which the nginx container (another
# image, other users) mounts too. Named volumes take their owner from whichever
# container first mounts them, and a volume left by an earlier run keeps its
# owner, so a non-root user here can find them unwritable. The container gets no
# extra privilege: not privileged, no added capabilities, bridge networking.
ENV APP_DIR=/app SOCKET_DIR=/run/payments DATA_DIR=/var/lib/payments WORKERD=/usr/local/bin/workerd
WORKDIR /app
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["engine"]
