// @ts-check
// How many payments one workerd process (workerd/single.capnp: API, outbox
// and ledger in one process) accepts and pays per second with the ledger in
// 1 or N shards: the figures docs/scale.md quotes. Run `npm run build` first.
//
//   node bench/shards/run.mjs [--shards 1] [--mode local|cloud] [--seconds 10] [--concurrency 64]
//
// Starts the service as service.mjs says, each run on fresh storage; POSTs
// as fast as `concurrency` clients can for `seconds`, then reads the summary until every accepted payment is booked. accepted/s is
// 2xx POSTs over the load's duration; paid/s is accepted payments over the
// time from the first POST until the last of them was booked.
// "local" is the one-ledger topology (POSTs through the outbox); "cloud"
// stores each POST straight in its shard, as the cloud mode does.
import os from "node:os";
import { parseArgs } from "node:util";
import { startService } from "./service.mjs";

const { values } = parseArgs({
  options: {
    shards: { type: "string", default: "1" },
    mode: { type: "string", default: "cloud" },
    seconds: { type: "string", default: "10" },
    concurrency: { type: "string", default: "64" },
  },
});
const { base, stop } = await startService({ shards: Number(values.shards), mode: String(values.mode) });

const seconds = Number(values.seconds);
const t0 = Date.now();
const deadline = t0 + seconds * 1000;
let accepted = 0;
let refused = 0;
const client = async () => {
  while (Date.now() < deadline) {
    const body = JSON.stringify({ correlationId: crypto.randomUUID(), amount: 19.9 });
    const response = await fetch(`${base}/payments`, { method: "POST", body, headers: { "content-type": "application/json" } });
    await response.arrayBuffer();
    if (response.status === 202) accepted += 1;
    else refused += 1;
  }
};
await Promise.all(Array.from({ length: Number(values.concurrency) }, client));
const loadSeconds = (Date.now() - t0) / 1000;

let booked = 0;
while (Date.now() - t0 < (seconds + 120) * 1000) {
  const s = /** @type {any} */ (await (await fetch(`${base}/payments-summary`)).json());
  booked = s.default.totalRequests + s.fallback.totalRequests;
  if (booked >= accepted) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const paidSeconds = (Date.now() - t0) / 1000;
console.log(
  JSON.stringify({
    mode: values.mode,
    shards: Number(values.shards),
    concurrency: Number(values.concurrency),
    accepted,
    refused,
    booked,
    acceptedPerSecond: Math.round(accepted / loadSeconds),
    paidPerSecond: Math.round(booked / paidSeconds),
    load: os.loadavg()[0],
  }),
);
stop();
process.exit(0);
