// @ts-check
// `npm run smoke`: checks a running service end to end against its processors.
// Posts payments while default is made to fail for a while, waits for the
// backlog to drain, then audits: the summary must equal the processors' admin
// summaries for the whole run and for sub-windows, every accepted payment must
// be held by exactly one processor, and malformed requests must change nothing.
// Prints POST /payments latency percentiles as measured by this client.
//
//   SERVICE_URL (default http://127.0.0.1:9999), PROCESSOR_DEFAULT_URL /
//   PROCESSOR_FALLBACK_URL (default 127.0.0.1:8001 / :8002), TOKEN (123),
//   PAYMENTS (350), SPACING_MS (100: one payment every 100 ms), FAIL_SECONDS (28)
const service = process.env.SERVICE_URL ?? "http://127.0.0.1:9999";
const processors = {
  default: process.env.PROCESSOR_DEFAULT_URL ?? "http://127.0.0.1:8001",
  fallback: process.env.PROCESSOR_FALLBACK_URL ?? "http://127.0.0.1:8002",
};
const token = process.env.TOKEN ?? "123";
const total = Number(process.env.PAYMENTS ?? 350);
const adminHeaders = { "x-rinha-token": token, "content-type": "application/json" };

/** @type {string[]} */
const failures = [];
/** @param {boolean} ok @param {string} what */
const check = (ok, what) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

/** @param {"default" | "fallback"} name @param {"delay" | "failure"} key @param {number | boolean} value */
async function configure(name, key, value) {
  const response = await fetch(`${processors[name]}/admin/configurations/${key}`, {
    method: "PUT",
    headers: adminHeaders,
    body: JSON.stringify({ [key]: value }),
  });
  if (!response.ok) throw new Error(`cannot set ${key} on ${name}: ${response.status}`);
}

/** @typedef {{ totalRequests: number, totalAmount: number }} Totals */

/** @param {string} [window] @returns {Promise<{ default: Totals, fallback: Totals }>} */
async function serviceSummary(window = "") {
  return /** @type {any} */ (await (await fetch(`${service}/payments-summary${window}`)).json());
}

/** @param {"default" | "fallback"} name @param {string} [window] @returns {Promise<Totals>} */
async function processorSummary(name, window = "") {
  return /** @type {any} */ (await (await fetch(`${processors[name]}/admin/payments-summary${window}`, { headers: adminHeaders })).json());
}

const cents = (/** @type {number} */ amount) => Math.round(amount * 100);
const iso = (/** @type {number} */ ms) => new Date(ms).toISOString();

// Start from a clean slate on all three.
await fetch(`${service}/purge-payments`, { method: "POST" });
for (const name of /** @type {const} */ (["default", "fallback"])) {
  await fetch(`${processors[name]}/admin/purge-payments`, { method: "POST", headers: adminHeaders });
  await configure(name, "failure", false);
  await configure(name, "delay", 0);
}

// Malformed requests: each gets a 4xx with a JSON error, and nothing changes.
const before = JSON.stringify(await serviceSummary());
const id = crypto.randomUUID();
const bad = [
  ["malformed JSON", "{"],
  ["empty body", ""],
  ["array", "[]"],
  ["missing amount", JSON.stringify({ correlationId: id })],
  ["non-UUID id", JSON.stringify({ correlationId: "x", amount: 1 })],
  ["string amount", JSON.stringify({ correlationId: id, amount: "1" })],
  ["zero amount", JSON.stringify({ correlationId: id, amount: 0 })],
  ["three decimals", JSON.stringify({ correlationId: id, amount: 1.234 })],
  ["absurd amount", JSON.stringify({ correlationId: id, amount: 1e13 })],
  ["oversized body", JSON.stringify({ correlationId: id, amount: 1, pad: "x".repeat(100_000) })],
];
for (const [what, body] of bad) {
  const response = await fetch(`${service}/payments`, { method: "POST", headers: { "content-type": "application/json" }, body });
  const json = /** @type {{ error?: unknown } | null} */ (await response.json().catch(() => null));
  check(response.status >= 400 && response.status < 500 && typeof json?.error === "string", `POST ${what} -> ${response.status}`);
}
for (const query of ["?from=yesterday", "?to=2025-13-01T00:00:00Z", "?from=2025-07-10T12:00:01Z&to=2025-07-10T12:00:00Z"]) {
  const response = await fetch(`${service}/payments-summary${query}`);
  check(response.status === 400, `GET /payments-summary${query} -> ${response.status}`);
}
check((await fetch(`${service}/nope`)).status === 404, "unknown route -> 404");
await new Promise((resolve) => setTimeout(resolve, 300));
check(JSON.stringify(await serviceSummary()) === before, "summary unchanged by malformed requests");

// Load: payments at a steady pace, with default failing for FAIL_SECONDS in
// the middle: longer than the service's FALLBACK_AFTER_MS (25 s by default),
// so some payments wait out the failure on default and the oldest go to fallback.
const failSeconds = Number(process.env.FAIL_SECONDS ?? 28);
const spacingMs = Number(process.env.SPACING_MS ?? 100);
/** @type {Map<string, number>} */
const accepted = new Map();
/** @type {number[]} */
const latencies = [];
const start = Date.now();
const failFrom = start + 2_000;
const failUntil = failFrom + failSeconds * 1000;
let failing = false;
/** @type {Promise<void>[]} */
const posts = [];
for (let n = 0; n < total; n++) {
  const now = Date.now();
  if (!failing && now >= failFrom && now < failUntil) {
    failing = true;
    await configure("default", "failure", true);
  }
  if (failing && now >= failUntil) {
    failing = false;
    await configure("default", "failure", false);
  }
  const correlationId = crypto.randomUUID();
  const amount = (1 + Math.floor(Math.random() * 99_999)) / 100;
  posts.push(
    (async () => {
      const t0 = performance.now();
      const response = await fetch(`${service}/payments`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ correlationId, amount }),
      });
      await response.arrayBuffer();
      latencies.push(performance.now() - t0);
      if (response.ok) accepted.set(correlationId, amount);
    })(),
  );
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + (n + 1) * spacingMs - Date.now())));
}
await Promise.all(posts);
await configure("default", "failure", false);
check(accepted.size === total, `${accepted.size}/${total} payments accepted`);

// Drain: wait until the service has paid everything it accepted.
const deadline = Date.now() + 60_000;
for (;;) {
  const s = await serviceSummary();
  if (s.default.totalRequests + s.fallback.totalRequests >= accepted.size || Date.now() > deadline) break;
  await new Promise((resolve) => setTimeout(resolve, 200));
}
const end = Date.now() + 1;

// Audit: whole run and sub-windows, counts and amounts.
const windows = [""];
for (let i = 0; i < 10; i++) {
  const from = start + Math.floor(((end - start) * i) / 10);
  const to = start + Math.floor(((end - start) * (i + 1)) / 10) - 1;
  windows.push(`?from=${iso(from)}&to=${iso(to)}`);
}
let mismatches = 0;
for (const window of windows) {
  const ours = await serviceSummary(window);
  for (const name of /** @type {const} */ (["default", "fallback"])) {
    const theirs = await processorSummary(name, window);
    if (ours[name].totalRequests !== theirs.totalRequests || cents(ours[name].totalAmount) !== cents(theirs.totalAmount)) {
      mismatches++;
      console.log(`  mismatch ${name} ${window || "(all)"}: service ${JSON.stringify(ours[name])} processor ${JSON.stringify(theirs)}`);
    }
  }
}
const whole = await serviceSummary();
check(mismatches === 0, `summary equals both processors' admin summaries in ${windows.length} windows (whole run + 10 slices)`);
check(
  whole.fallback.totalRequests > 0 && whole.default.totalRequests > 0,
  `default failed for ${failSeconds} s: ${whole.default.totalRequests} via default, ${whole.fallback.totalRequests} via fallback`,
);

// Every accepted payment is held by exactly one processor.
let both = 0;
let none = 0;
const ids = [...accepted.keys()];
for (let i = 0; i < ids.length; i += 20) {
  await Promise.all(
    ids.slice(i, i + 20).map(async (correlationId) => {
      const held = await Promise.all(
        /** @type {const} */ (["default", "fallback"]).map(
          async (name) => (await fetch(`${processors[name]}/payments/${correlationId}`)).status === 200,
        ),
      );
      if (held[0] && held[1]) both++;
      if (!held[0] && !held[1]) none++;
    }),
  );
}
check(both === 0 && none === 0, `each accepted payment held by exactly one processor (both: ${both}, none: ${none})`);

latencies.sort((a, b) => a - b);
const pct = (/** @type {number} */ p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]?.toFixed(2);
console.log(
  `POST /payments latency over ${latencies.length} requests, one every ${spacingMs} ms: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${pct(100)} ms`,
);
console.log(failures.length === 0 ? "smoke: all checks passed" : `smoke: ${failures.length} check(s) failed`);
process.exit(failures.length === 0 ? 0 : 1);
