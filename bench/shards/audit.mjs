// @ts-check
// The sharded ledger against the processor stand-ins under chaos, audited
// as the contest does: 200 payments over ~10 s while default fails (3 s to
// 6 s) and then slows down (150 ms), then the books compared with the
// processors' in every window, and no payment stored at both processors.
//
//   node bench/shards/audit.mjs [--shards 4] [--mode local|cloud] [--runtime workerd|dev]   (after `npm run build`)
import { parseArgs } from "node:util";
import { PROCESSORS, startService } from "./service.mjs";

const { values } = parseArgs({
  options: { shards: { type: "string", default: "4" }, mode: { type: "string", default: "local" }, runtime: { type: "string", default: "workerd" } },
});
const { base, admin, stop } = await startService({ shards: Number(values.shards), mode: String(values.mode), runtime: values.runtime });
const token = { "x-rinha-token": "123", "content-type": "application/json" };
const configure = (/** @type {string} */ url, /** @type {string} */ what, /** @type {unknown} */ value) =>
  fetch(`${url}/admin/configurations/${what}`, { method: "PUT", headers: token, body: JSON.stringify({ [what]: value }) });
const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms));

const t0 = Date.now();
let accepted = 0;
for (let i = 0; i < 200; i++) {
  if (i === 60) await configure(PROCESSORS.default, "failure", true);
  if (i === 120) await configure(PROCESSORS.default, "failure", false);
  if (i === 120) await configure(PROCESSORS.default, "delay", 150);
  const body = JSON.stringify({ correlationId: crypto.randomUUID(), amount: ((i % 50) + 1) / 10 + 0.01 * (i % 7) });
  const response = await fetch(`${base}/payments`, { method: "POST", body, headers: { "content-type": "application/json" } });
  if (response.status === 202) accepted += 1;
  await sleep(50);
}
const t1 = Date.now();
// Let everything settle (FALLBACK_AFTER_MS is 25 s), then audit.
while ((await (await fetch(`${base}/internal/stats`, { headers: admin })).json()).waiting > 0) await sleep(500);

const iso = (/** @type {number} */ ms) => new Date(ms).toISOString();
const windows = [[t0 - 1_000, t1 + 60_000]];
for (let at = t0; at < t1; at += 1_000) windows.push([at, at + 2_500]);
let inconsistent = 0;
for (const [from, to] of windows) {
  const q = `?from=${iso(from)}&to=${iso(to)}`;
  const ours = await (await fetch(`${base}/payments-summary${q}`)).json();
  for (const name of /** @type {const} */ (["default", "fallback"])) {
    const theirs = await (await fetch(`${PROCESSORS[name]}/admin/payments-summary${q}`, { headers: token })).json();
    if (ours[name].totalRequests !== theirs.totalRequests || ours[name].totalAmount !== theirs.totalAmount) {
      inconsistent += 1;
      console.error(`window ${iso(from)}..${iso(to)} ${name}: ours ${JSON.stringify(ours[name])}, theirs ${JSON.stringify(theirs)}`);
    }
  }
}
const ids = async (/** @type {string} */ url) =>
  new Set((await (await fetch(`${url}/admin/payments`, { headers: token })).json()).map((/** @type {any} */ p) => p.correlationId));
const [atDefault, atFallback] = [await ids(PROCESSORS.default), await ids(PROCESSORS.fallback)];
const atBoth = [...atDefault].filter((id) => atFallback.has(id)).length;
console.log(
  JSON.stringify({
    shards: Number(values.shards),
    mode: values.mode,
    runtime: values.runtime,
    accepted,
    atDefault: atDefault.size,
    atFallback: atFallback.size,
    atBoth,
    windows: windows.length * 2,
    inconsistent,
  }),
);
stop();
process.exit(inconsistent === 0 && atBoth === 0 && atDefault.size + atFallback.size === accepted ? 0 : 1);
