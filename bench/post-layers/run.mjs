// @ts-check
// `node bench/post-layers/run.mjs [--rate 250] [--seconds 8] [--rounds 3] [--layers bare,json,...]`
// What each layer of a POST /payments costs workerd in CPU, on this machine:
// builds worker.ts, starts it in one workerd (libeatmydata preloaded, as the
// API instances run), and for each round sends every layer the same fixed-rate
// load in turn (open loop, keep-alive connections), reading the process's CPU
// time before and after. Prints each run, then per layer the median CPU us per
// POST, its difference from the layer before, and the median p50 / p99.
import { spawn, execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { Pool } from "undici";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const ROOT = path.resolve(HERE, "../..");
const ALL = ["bare", "json", "hono", "hono-lean", "rpc", "sql3", "sql1"];
const PORT = 9911;

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "250" },
    seconds: { type: "string", default: "8" },
    rounds: { type: "string", default: "3" },
    layers: { type: "string", default: ALL.join(",") },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);
const layers = values.layers.split(",");
for (const layer of layers) if (!ALL.includes(layer)) throw new Error(`unknown layer ${layer}; known: ${ALL.join(", ")}`);

execFileSync(path.join(ROOT, "node_modules/.bin/esbuild"), [
  path.join(HERE, "worker.ts"),
  "--bundle",
  "--format=esm",
  "--platform=neutral",
  "--log-level=warning",
  "--external:cloudflare:workers",
  `--outfile=${path.join(HERE, "dist/worker.js")}`,
]);
const disk = fs.mkdtempSync(path.join(os.tmpdir(), "post-layers-"));
const eatmydata = ["/usr/lib/x86_64-linux-gnu/libeatmydata.so", "/usr/lib/libeatmydata.so"].find((f) => fs.existsSync(f));
if (!eatmydata) console.warn("libeatmydata not found: every SQL commit fsyncs (apt-get install libeatmydata1)");
const workerd = spawn(
  path.join(ROOT, "node_modules/.bin/workerd"),
  ["serve", path.join(HERE, "layers.capnp"), "-s", `http=127.0.0.1:${PORT}`, "-d", `sink-disk=${disk}`],
  { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...(eatmydata ? { LD_PRELOAD: eatmydata } : {}) } },
);

try {
  const pool = new Pool(`http://127.0.0.1:${PORT}`, { connections: 32 });
  await waitUntilUp(pool);
  for (const layer of layers) await load(pool, layer, 100, 1); // warm up: connections open, code compiled
  /** @type {Map<string, { cpu: number[], p50: number[], p99: number[] }>} */
  const results = new Map(layers.map((l) => [l, { cpu: [], p50: [], p99: [] }]));
  const pid = /** @type {number} */ (workerd.pid);
  for (let round = 1; round <= rounds; round++) {
    for (const [layer, r] of results) {
      const cpu0 = cpuMs(pid);
      const latencies = await load(pool, layer, rate, seconds);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const usPerPost = ((cpuMs(pid) - cpu0) * 1000) / latencies.length;
      r.cpu.push(usPerPost);
      r.p50.push(quantile(latencies, 0.5));
      r.p99.push(quantile(latencies, 0.99));
      const p50 = quantile(latencies, 0.5).toFixed(2);
      const p99 = quantile(latencies, 0.99).toFixed(2);
      console.log(`round ${round} ${layer.padEnd(9)} ${Math.round(usPerPost)} us/POST  p50 ${p50} ms  p99 ${p99} ms`);
    }
  }
  console.log(`\nmedians of ${rounds} rounds at ${rate} POST/s for ${seconds} s each:`);
  console.log("layer      CPU us/POST  vs previous  p50 ms  p99 ms");
  /** @type {number | null} */
  let previous = null;
  for (const [layer, { cpu, p50, p99 }] of results) {
    const m = median(cpu);
    const diff = previous === null ? "" : `${m - previous >= 0 ? "+" : ""}${Math.round(m - previous)}`;
    const cells = [String(Math.round(m)).padStart(11), diff.padStart(11), median(p50).toFixed(2).padStart(6), median(p99).toFixed(2).padStart(6)];
    console.log(`${layer.padEnd(10)} ${cells.join("  ")}`);
    previous = m;
  }
  await pool.close();
} finally {
  const exited = new Promise((r) => workerd.once("exit", r));
  workerd.kill("SIGKILL");
  await exited;
  fs.rmSync(disk, { recursive: true, force: true });
}

/** The process's user + system CPU time in ms (all its threads). @param {number} pid */
function cpuMs(pid) {
  const fields = (fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks at USER_HZ 100
}

/** Sends `perSecond` POSTs a second for `forSeconds`, each at its due time; each one's ms. @param {Pool} pool @param {string} layer @param {number} perSecond @param {number} forSeconds */
async function load(pool, layer, perSecond, forSeconds) {
  const total = Math.round(perSecond * forSeconds);
  const t0 = performance.now();
  /** @type {Promise<number>[]} */
  const pending = [];
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / perSecond - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(post(pool, layer));
  }
  return Promise.all(pending);
}

/** @param {Pool} pool @param {string} layer */
async function post(pool, layer) {
  const t = performance.now();
  const { statusCode, body } = await pool.request({
    path: `/${layer}`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ correlationId: randomUUID(), amount: 19.9 }),
  });
  await body.dump();
  if (statusCode !== 202) throw new Error(`${layer} answered ${statusCode}`);
  return performance.now() - t;
}

/** @param {Pool} pool */
async function waitUntilUp(pool) {
  for (let i = 0; i < 100; i++) {
    try {
      return await post(pool, "bare");
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error("workerd did not answer");
}

/** @param {number[]} xs @param {number} q */
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

/** @param {number[]} xs */
function median(xs) {
  return quantile(xs, 0.5);
}
