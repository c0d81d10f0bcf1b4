// @ts-check
// How many payments one workerd process (workerd/single.capnp: API, outbox
// and ledger in one process) accepts and pays per second with the ledger in
// 1 or N shards: the figures docs/scale.md quotes. Run `npm run build` first.
//
//   node bench/shards/run.mjs [--shards 1] [--mode local|cloud] [--seconds 10] [--concurrency 64]
//
// Starts the processor stand-ins on 18001/18002 and the service on 19999 (so
// as not to collide with `npm start` on the usual ports), each run on fresh
// storage; POSTs as fast as `concurrency` clients can for `seconds`, then
// reads the summary until every accepted payment is booked. accepted/s is
// 2xx POSTs over the load's duration; paid/s is accepted payments over the
// time from the first POST until the last of them was booked.
// "local" is the one-ledger topology (POSTs through the outbox); "cloud"
// stores each POST straight in its shard, as the cloud mode does.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { waitForPort } from "../../scripts/processes.mjs";

const { values } = parseArgs({
  options: {
    shards: { type: "string", default: "1" },
    mode: { type: "string", default: "cloud" },
    seconds: { type: "string", default: "10" },
    concurrency: { type: "string", default: "64" },
  },
});
const PORT = 19999;
const SECRET = "bench-secret";
const base = `http://127.0.0.1:${PORT}`;
const admin = { authorization: `Bearer ${SECRET}` };
const state = fs.mkdtempSync(path.join(os.tmpdir(), "bench-shards-"));
/** @type {import("node:child_process").ChildProcess[]} */
const children = [];
const start = (/** @type {string} */ cmd, /** @type {string[]} */ args, /** @type {Record<string, string>} */ env = {}) => {
  const child = spawn(cmd, args, { stdio: "ignore", detached: true, env: { ...process.env, ...env } });
  children.push(child);
  return child;
};
const stopAll = () => {
  for (const child of children) if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
};
process.on("exit", stopAll);

start(process.execPath, ["processor-standin/main.ts", "--both", "--default-port", "18001", "--fallback-port", "18002", "--host", "127.0.0.1"]);
start("workerd", ["serve", "workerd/single.capnp", "-s", `http=127.0.0.1:${PORT}`, "-d", `ledger-disk=${state}`], {
  PROCESSOR_DEFAULT_URL: "http://127.0.0.1:18001",
  PROCESSOR_FALLBACK_URL: "http://127.0.0.1:18002",
  LEDGER_SHARDS: String(values.shards),
  DEPLOYMENT: values.mode === "cloud" ? "cloud" : "local",
  ADMIN_SECRET: SECRET,
});
await Promise.all([waitForPort(18001), waitForPort(18002), waitForPort(PORT, "127.0.0.1", 60_000)]);
if ((await fetch(`${base}/purge-payments`, { method: "POST", headers: admin })).status !== 200) throw new Error("purge failed");

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
stopAll();
fs.rmSync(state, { recursive: true, force: true });
process.exit(0);
