// @ts-check
// The service as bench/shards runs it: the processor stand-ins on 18001/18002
// and one workerd process (workerd/single.capnp) on 19999, on fresh storage,
// away from the usual ports. Needs `npm run build` first. With runtime
// "dev" the service is `npm run dev` (wrangler dev) instead, on the same port.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { waitForPort } from "../../scripts/processes.mjs";

export const PROCESSORS = { default: "http://127.0.0.1:18001", fallback: "http://127.0.0.1:18002" };
const PORT = 19999;
const SECRET = "bench-secret";

/** @param {{ shards: number, mode: string, runtime?: string }} options */
export async function startService({ shards, mode, runtime = "workerd" }) {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "bench-shards-"));
  /** @type {import("node:child_process").ChildProcess[]} */
  const children = [];
  const start = (/** @type {string} */ cmd, /** @type {string[]} */ args, /** @type {Record<string, string>} */ env = {}) => {
    children.push(spawn(cmd, args, { stdio: "ignore", detached: true, env: { ...process.env, ...env } }));
  };
  const stop = () => {
    for (const child of children) if (child.pid && child.exitCode === null) process.kill(-child.pid, "SIGTERM");
    fs.rmSync(state, { recursive: true, force: true });
  };
  process.on("exit", stop);
  start(process.execPath, ["processor-standin/main.ts", "--both", "--default-port", "18001", "--fallback-port", "18002", "--host", "127.0.0.1"]);
  const env = { PROCESSOR_DEFAULT_URL: PROCESSORS.default, PROCESSOR_FALLBACK_URL: PROCESSORS.fallback, LEDGER_SHARDS: String(shards) };
  if (runtime === "dev") {
    if (mode === "cloud") throw new Error("npm run dev serves the local configuration; use --runtime workerd for the cloud mode");
    start(process.execPath, ["scripts/dev.mjs"], { ...env, PORT: String(PORT) });
  } else {
    const serve = ["serve", "workerd/single.capnp", "-s", `http=127.0.0.1:${PORT}`, "-d", `ledger-disk=${state}`];
    start("workerd", serve, { ...env, DEPLOYMENT: mode === "cloud" ? "cloud" : "local", ADMIN_SECRET: SECRET });
  }
  await Promise.all([waitForPort(18001), waitForPort(18002), waitForPort(PORT, "127.0.0.1", 60_000)]);
  const base = `http://127.0.0.1:${PORT}`;
  const admin = { authorization: `Bearer ${SECRET}` };
  if ((await fetch(`${base}/purge-payments`, { method: "POST", headers: admin })).status !== 200) throw new Error("purge failed");
  return { base, admin, stop };
}
