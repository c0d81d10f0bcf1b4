// @ts-check
// One self-contained HTML page per run: the score up top, then inline SVG
// charts over time (p99, throughput, routing split, queue depth) with the
// chaos schedule shaded behind them. No scripts, no external assets.
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * @typedef {import("./run.mjs").RunResult} RunResult
 * @typedef {import("./run.mjs").TimelinePoint} TimelinePoint
 * @typedef {import("./run.mjs").TimelineChaos} TimelineChaos
 * @typedef {import("./run.mjs").ProcessorChaos} ProcessorChaos
 * @typedef {{ name: string, color: string, values: (number | null)[], width?: number, dash?: string, fill?: boolean, unit?: string }} Series
 * @typedef {{ from: number, to: number, chaos: TimelineChaos }} Band
 * @typedef {{
 *   id: string, series: Series[], xMax: number, loadEnd: number, bands: Band[],
 *   log?: boolean, xOffset?: number, width?: number, height?: number, digits?: number, empty?: string
 * }} ChartSpec
 *   values[i] is plotted at x = i + xOffset (0.5: the middle of second i; 1: its end)
 */

const W = 1100;
const M = { left: 62, right: 18, top: 12, bottom: 28 };

const COLORS = {
  p99: "#7048e8",
  requests: "#ced4da",
  accepted: "#2b8a3e",
  failed: "#e03131",
  vus: "#495057",
  default: "#1c7ed6",
  fallback: "#f76707",
  waiting: "#5f3dc4",
  ok: "#37b24d",
  slow: "#f59f00",
  slower: "#e8590c",
  fail: "#e03131",
};

/** @param {unknown} s */
export const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** @param {number} x @param {number} [digits] */
const fmt = (x, digits = 2) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** @param {number} x */
const int = (x) => Math.round(x).toLocaleString("en-US");
/** @param {number} x */
const n1 = (x) => (Math.round(x * 10) / 10).toString();

/** "Nice" linear ticks from 0 to at least max. @param {number} max @param {number} [count] */
export function niceTicks(max, count = 5) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 2.5, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  /** @type {number[]} */
  const ticks = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Math.round(v * 1e9) / 1e9);
  return ticks;
}

/**
 * Log-scale ticks: decades from below min (with 2× and 5× between when the
 * range is narrow), up to the first 1/2/5 × 10^k at or above max.
 * @param {number} min @param {number} max
 */
export function logTicks(min, max) {
  const lo = Math.floor(Math.log10(min));
  const e = Math.floor(Math.log10(max));
  const top = /** @type {number} */ ([1, 2, 5, 10].map((m) => Number((m * 10 ** e).toPrecision(3))).find((v) => v >= max * 0.9999));
  const mults = Math.log10(top) - lo <= 2 ? [1, 2, 5] : [1];
  /** @type {number[]} */
  const ticks = [];
  for (let d = lo; 10 ** d <= top; d++) {
    for (const m of mults) {
      const v = Number((m * 10 ** d).toPrecision(3));
      if (v <= top) ticks.push(v);
    }
  }
  if (ticks.at(-1) !== top) ticks.push(top);
  return ticks;
}

/** @param {ProcessorChaos} c */
function condition(c) {
  if (c.failure) return "fail";
  if (c.delay >= 1000) return "slower";
  if (c.delay >= 100) return "slow";
  return "ok";
}

/** @param {ProcessorChaos} c */
const conditionText = (c) => (c.failure ? `failing, ${c.delay} ms` : `${c.delay} ms`);

/**
 * The chaos steps as bands over the load: from one step to the next, the
 * last one until the load ends.
 * @param {TimelinePoint[]} timeline @param {number} loadEnd @returns {Band[]}
 */
export function chaosBands(timeline, loadEnd) {
  /** @type {TimelineChaos[]} */
  const steps = [];
  for (const point of timeline) {
    if (point.chaos.step >= 0 && !steps.some((s) => s.step === point.chaos.step)) steps.push(point.chaos);
  }
  steps.sort((a, b) => a.at - b.at);
  return steps
    .map((chaos, i) => ({ from: chaos.at, to: Math.min(steps[i + 1]?.at ?? loadEnd, loadEnd), chaos }))
    .filter((band) => band.to > band.from);
}

/**
 * One line chart as an SVG string; null values break the line.
 * @param {ChartSpec} spec
 */
export function lineChart(spec) {
  const { series, xMax, loadEnd, bands, log = false, xOffset = 0.5, digits = 0 } = spec;
  const width = spec.width ?? W;
  const height = spec.height ?? 210;
  const plotW = width - M.left - M.right;
  const plotH = height - M.top - M.bottom;
  const all = series.flatMap((s) => s.values.filter(/** @returns {v is number} */ (v) => v !== null && Number.isFinite(v)));
  const x = (/** @type {number} */ t) => M.left + (Math.max(0, Math.min(t, xMax)) / xMax) * plotW;

  /** @type {number[]} */
  let ticks;
  /** @type {(v: number) => number} */
  let y;
  const floor = 0.1;
  if (log) {
    const hiV = Math.max(10, ...all);
    const loV = Math.max(floor, Math.min(1, ...all.filter((v) => v > 0)));
    ticks = logTicks(loV, hiV);
    const lo = Math.log10(/** @type {number} */ (ticks[0]));
    const hi = Math.log10(/** @type {number} */ (ticks.at(-1)));
    y = (v) => M.top + plotH - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * plotH;
  } else {
    ticks = niceTicks(Math.max(1, ...all));
    const hi = /** @type {number} */ (ticks.at(-1));
    y = (v) => M.top + plotH - (v / hi) * plotH;
  }

  const parts = [];
  parts.push(
    `<svg class="chart" id="${escapeHtml(spec.id)}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" role="img">`,
  );
  // chaos bands and step boundaries
  for (const band of bands) {
    const worst = [condition(band.chaos.default), condition(band.chaos.fallback)];
    const cls = worst.includes("fail") ? "band-fail" : worst.some((c) => c !== "ok") ? "band-slow" : "band-ok";
    parts.push(`<rect class="${cls}" x="${n1(x(band.from))}" y="${M.top}" width="${n1(x(band.to) - x(band.from))}" height="${plotH}"/>`);
    if (band.from > 0) parts.push(`<line class="step" x1="${n1(x(band.from))}" x2="${n1(x(band.from))}" y1="${M.top}" y2="${M.top + plotH}"/>`);
  }
  if (loadEnd < xMax) {
    parts.push(`<rect class="band-drain" x="${n1(x(loadEnd))}" y="${M.top}" width="${n1(x(xMax) - x(loadEnd))}" height="${plotH}"/>`);
    parts.push(`<line class="load-end" x1="${n1(x(loadEnd))}" x2="${n1(x(loadEnd))}" y1="${M.top}" y2="${M.top + plotH}"/>`);
  }
  // grid and axes
  let lastLabelY = Infinity;
  for (const t of ticks) {
    const yy = n1(y(t));
    parts.push(`<line class="grid" x1="${M.left}" x2="${width - M.right}" y1="${yy}" y2="${yy}"/>`);
    // A label crowding the one below it (2k just above 1k on a log scale) is left out.
    if (lastLabelY - y(t) < 20) continue;
    lastLabelY = y(t);
    parts.push(`<text class="ytick" x="${M.left - 8}" y="${yy}" dy="0.32em" text-anchor="end">${tickLabel(t)}</text>`);
  }
  for (const t of niceTicks(xMax, Math.max(4, Math.round(plotW / 90)))) {
    if (t > xMax) continue;
    parts.push(`<text class="xtick" x="${n1(x(t))}" y="${height - 8}" text-anchor="middle">${t}s</text>`);
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${width - M.right}" y1="${M.top + plotH}" y2="${M.top + plotH}"/>`);
  if (all.length === 0 && spec.empty) {
    parts.push(`<text class="empty" x="${M.left + plotW / 2}" y="${M.top + plotH / 2}" text-anchor="middle">${escapeHtml(spec.empty)}</text>`);
  }
  // series: one polyline per unbroken run of values
  for (const s of series) {
    /** @type {string[][]} */
    const runs = [];
    /** @type {string[] | null} */
    let current = null;
    s.values.forEach((v, i) => {
      if (v === null || !Number.isFinite(v)) {
        current = null;
        return;
      }
      if (!current) {
        current = [];
        runs.push(current);
      }
      current.push(`${n1(x(i + xOffset))},${n1(y(v))}`);
    });
    for (const run of runs) {
      const attrs = `data-series="${escapeHtml(s.name)}" stroke="${s.color}" stroke-width="${s.width ?? 1.8}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}`;
      if (s.fill && run.length > 1) {
        const baseline = n1(y(0));
        const first = /** @type {string} */ (run[0]).split(",")[0];
        const last = /** @type {string} */ (run.at(-1)).split(",")[0];
        parts.push(`<polygon class="area" fill="${s.color}" points="${first},${baseline} ${run.join(" ")} ${last},${baseline}"/>`);
      }
      if (run.length === 1) {
        const [cx, cy] = /** @type {string} */ (run[0]).split(",");
        parts.push(`<circle data-series="${escapeHtml(s.name)}" cx="${cx}" cy="${cy}" r="2" fill="${s.color}"/>`);
      } else {
        parts.push(`<polyline class="line" fill="none" ${attrs} points="${run.join(" ")}"/>`);
      }
    }
  }
  // hover: one transparent column per second with every series' value
  const seconds = Math.max(0, ...series.map((s) => s.values.length));
  const colW = plotW / xMax;
  for (let i = 0; i < seconds; i++) {
    const lines = series.map((s) => {
      const v = s.values[i];
      return `${s.name}: ${v === null || v === undefined ? "–" : fmt(v, digits)}${s.unit ?? ""}`;
    });
    parts.push(
      `<rect class="hover" x="${n1(M.left + i * colW)}" y="${M.top}" width="${n1(colW)}" height="${plotH}"><title>${i}–${i + 1}s\n${escapeHtml(lines.join("\n"))}</title></rect>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

/** @param {number} t */
function tickLabel(t) {
  if (t >= 1000) return `${t / 1000}k`;
  return String(t);
}

/**
 * The chaos schedule as two coloured rows (default, fallback) with the
 * audits marked below.
 * @param {RunResult} result @param {Band[]} bands @param {number} xMax
 */
export function chaosStrip(result, bands, xMax) {
  const width = W;
  const rowH = 22;
  const top = 6;
  const height = top + rowH * 2 + 6 + 16;
  const plotW = width - M.left - M.right;
  const x = (/** @type {number} */ t) => M.left + (Math.max(0, Math.min(t, xMax)) / xMax) * plotW;
  const parts = [
    `<svg class="strip" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg" role="img">`,
  ];
  /** @type {Array<["default" | "fallback", string]>} */
  const rows = [
    ["default", "default"],
    ["fallback", "fallback"],
  ];
  rows.forEach(([name, label], r) => {
    const yy = top + r * rowH;
    parts.push(`<text class="rowlabel" x="${M.left - 8}" y="${yy + rowH / 2}" dy="0.32em" text-anchor="end">${label}</text>`);
    for (const band of bands) {
      const c = band.chaos[name];
      const x0 = x(band.from);
      const w = x(band.to) - x0;
      const text = c.failure ? (c.delay ? `fail · ${c.delay}ms` : "fail") : `${c.delay}ms`;
      parts.push(
        `<rect class="seg seg-${condition(c)}" x="${n1(x0 + 0.5)}" y="${yy + 1}" width="${n1(Math.max(0, w - 1))}" height="${rowH - 3}" rx="3"><title>${escapeHtml(`${label} ${band.from}–${band.to}s: ${conditionText(c)}`)}</title></rect>`,
      );
      if (w > text.length * 6.2 + 6) {
        parts.push(`<text class="segtext" x="${n1(x0 + w / 2)}" y="${yy + rowH / 2}" dy="0.3em" text-anchor="middle">${escapeHtml(text)}</text>`);
      }
    }
  });
  const ay = top + rowH * 2 + 12;
  parts.push(`<text class="rowlabel" x="${M.left - 8}" y="${ay}" dy="0.32em" text-anchor="end">audits</text>`);
  parts.push(`<line class="grid" x1="${M.left}" x2="${width - M.right}" y1="${ay}" y2="${ay}"/>`);
  for (const point of result.timeline) {
    if (!point.audit) continue;
    const cx = x(point.t + 0.5);
    const bad = point.audit.inconsistent;
    const title = bad
      ? `audit at ${point.t}s: INCONSISTENT (count difference ${point.audit.countDifference}${point.audit.serviceMinusProcessor ? `; service minus processor ${JSON.stringify(point.audit.serviceMinusProcessor)}` : ""}${point.audit.error ? `; ${point.audit.error}` : ""})`
      : `audit at ${point.t}s: consistent`;
    parts.push(
      `<path class="${bad ? "audit-bad" : "audit-ok"}" d="M${n1(cx)},${ay - 6} l6,6 l-6,6 l-6,-6 z"><title>${escapeHtml(title)}</title></path>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

/**
 * @param {string} label @param {string} value @param {string} [sub] @param {"good" | "bad" | "warn" | ""} [tone] @param {boolean} [big]
 */
const card = (label, value, sub = "", tone = "", big = false) =>
  `<div class="card${big ? " big" : ""}${tone ? ` ${tone}` : ""}"><div class="label">${escapeHtml(label)}</div><div class="value">${value}</div>${sub ? `<div class="sub">${sub}</div>` : ""}</div>`;

/** @param {Series[]} series */
const legend = (series) =>
  series.map((s) => `<span class="key"><i style="background:${s.color}${s.dash ? ";opacity:.6" : ""}"></i>${escapeHtml(s.name)}</span>`).join("");

/**
 * The whole page.
 * @param {RunResult} result @param {{ title?: string, generatedAt?: Date }} [options]
 */
export function renderReport(result, options = {}) {
  const { timeline, score: sc } = result;
  const loadEnd = result.durationSeconds;
  const xMax = Math.max(loadEnd, timeline.length, 1);
  const bands = chaosBands(timeline, loadEnd);
  const base = { xMax, loadEnd, bands };

  /** @param {(p: TimelinePoint) => number | null} f */
  const col = (f) => timeline.map(f);

  /** @type {Series[]} */
  const latencySeries = [{ name: "p99", color: COLORS.p99, values: col((p) => p.p99), unit: " ms", width: 2 }];
  /** @type {Series[]} */
  const throughputSeries = [
    { name: "requests/s", color: COLORS.requests, values: col((p) => p.requests), width: 4.5 },
    { name: "VUs", color: COLORS.vus, values: col((p) => p.vus), dash: "4 3", width: 1.4 },
    { name: "accepted/s", color: COLORS.accepted, values: col((p) => p.accepted), width: 1.8 },
    { name: "failed/s", color: COLORS.failed, values: col((p) => p.failed), width: 1.8 },
  ];
  /** @type {Series[]} */
  const routingSeries = [
    { name: "default (cumulative)", color: COLORS.default, values: col((p) => p.defaultTotal), width: 2.2 },
    { name: "fallback (cumulative)", color: COLORS.fallback, values: col((p) => p.fallbackTotal), width: 2.2 },
  ];
  /** @type {Series[]} */
  const queueSeries = [
    { name: "waiting", color: COLORS.waiting, values: col((p) => p.queueWaiting), width: 2, fill: true },
    { name: "in flight to default", color: COLORS.default, values: col((p) => p.inFlightDefault), width: 1.4 },
    { name: "in flight to fallback", color: COLORS.fallback, values: col((p) => p.inFlightFallback), width: 1.4 },
  ];

  // latency is the contest's (every request with an expected response); latencyService the POSTs'. A
  // result written before latencyService existed has only latency, then over the service's requests.
  const p99 = result.latency.p99;
  const service = /** @type {Partial<RunResult>} */ (result).latencyService;
  const postLatency = service ?? result.latency;
  const finalRead = /** @type {Partial<RunResult>} */ (result).finalRead;
  const p99Sub = service
    ? `all ${int(result.latency.count ?? 0)} requests · POSTs ${fmt(service.p99)} ms`
    : `p50 ${fmt(result.latency.p50)} · p90 ${fmt(result.latency.p90)}`;
  const processed = sc.processed;
  const fineText = sc.fine > 0 ? `−${Math.round(sc.fine * 100)}%` : "none";
  const lagTone = sc.lag < 0 ? "bad" : sc.lag > 0 ? "warn" : "good";
  const verdict = sc.disqualified
    ? `<span class="badge bad">disqualified: more paid than accepted</span>`
    : sc.fine > 0
      ? `<span class="badge bad">fined 35%: ${result.audits.inconsistent} inconsistent audit${result.audits.inconsistent === 1 ? "" : "s"}</span>`
      : `<span class="badge good">consistent</span>`;
  const title = options.title ?? `Load run · ${result.scenario}`;
  const generated = `${(options.generatedAt ?? new Date()).toISOString().replace("T", " ").slice(0, 19)} UTC`;

  const books = [
    ["processor default", result.processors.default.totalRequests, result.processors.default.totalAmount, result.processors.default.totalFee],
    ["processor fallback", result.processors.fallback.totalRequests, result.processors.fallback.totalAmount, result.processors.fallback.totalFee],
    ["service default", result.service.default.totalRequests, result.service.default.totalAmount, null],
    ["service fallback", result.service.fallback.totalRequests, result.service.fallback.totalAmount, null],
  ];

  /** @param {string} heading @param {Series[]} series @param {string} svg @param {string} [note] */
  const section = (heading, series, svg, note = "") =>
    `<section class="panel"><div class="panel-head"><h2>${heading}</h2><div class="legend">${legend(series)}</div></div>${svg}${note ? `<p class="note">${note}</p>` : ""}</section>`;

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
:root { --fg:#212529; --muted:#6c757d; --line:#dee2e6; --bg:#f4f5f7; --card:#fff; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--fg); font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif; }
main { max-width:1140px; margin:0 auto; padding:22px 20px 40px; }
header h1 { margin:0; font-size:22px; font-weight:650; letter-spacing:-.01em; }
header .meta { color:var(--muted); margin-top:4px; display:flex; flex-wrap:wrap; gap:6px 16px; align-items:center; }
.badge { display:inline-block; padding:2px 9px; border-radius:999px; font-size:12px; font-weight:600; }
.badge.good { background:#d3f9d8; color:#2b8a3e; } .badge.bad { background:#ffe3e3; color:#c92a2a; }
.cards { display:grid; grid-template-columns:repeat(5,1fr); gap:10px; margin:16px 0 12px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 12px; }
.card .label { color:var(--muted); font-size:11.5px; text-transform:uppercase; letter-spacing:.04em; }
.card .value { font-size:20px; font-weight:650; font-variant-numeric:tabular-nums; margin-top:2px; white-space:nowrap; }
.card .sub { color:var(--muted); font-size:12px; font-variant-numeric:tabular-nums; }
.card.big { grid-row:span 2; display:flex; flex-direction:column; justify-content:center; background:#1c2a3a; color:#fff; border-color:#1c2a3a; }
.card.big .label, .card.big .sub { color:#c5cfdb; } .card.big .value { font-size:30px; }
.card.good .value { color:#2b8a3e; } .card.bad .value { color:#c92a2a; } .card.warn .value { color:#d9480f; }
.tables { display:grid; grid-template-columns:1fr 1.6fr; gap:10px; margin-bottom:14px; align-items:start; }
table { width:100%; border-collapse:collapse; background:var(--card); border:1px solid var(--line); border-radius:10px; overflow:hidden; font-variant-numeric:tabular-nums; }
th, td { padding:6px 12px; text-align:right; border-bottom:1px solid #f1f3f5; white-space:nowrap; }
th:first-child, td:first-child { text-align:left; }
thead th { background:#f8f9fa; color:var(--muted); font-weight:600; font-size:12px; }
tr:last-child td { border-bottom:none; }
.panel { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 12px 6px; margin-bottom:12px; }
.panel-head { display:flex; justify-content:space-between; align-items:baseline; gap:10px; flex-wrap:wrap; }
.panel h2 { font-size:14.5px; margin:0 0 4px; font-weight:650; }
.panel h2 small { color:var(--muted); font-weight:500; }
.legend { display:flex; gap:14px; flex-wrap:wrap; color:var(--muted); font-size:12.5px; }
.key i { display:inline-block; width:14px; height:3px; border-radius:2px; margin-right:5px; vertical-align:middle; }
.note { color:var(--muted); font-size:12px; margin:2px 0 4px; }
svg { display:block; width:100%; height:auto; font-family:inherit; }
.grid { stroke:#e9ecef; stroke-width:1; } .axis { stroke:#adb5bd; stroke-width:1; }
.ytick, .xtick { fill:#868e96; font-size:11px; } .rowlabel { fill:#495057; font-size:11.5px; font-weight:600; }
.step { stroke:#868e96; stroke-width:1; stroke-dasharray:3 3; opacity:.7; }
.load-end { stroke:#495057; stroke-width:1.2; }
.band-ok { fill:transparent; } .band-slow { fill:#fff4d6; opacity:.8; } .band-fail { fill:#ffe3e3; opacity:.75; }
.band-drain { fill:#f1f3f5; }
.line { stroke-linejoin:round; stroke-linecap:round; }
.area { opacity:.12; }
.empty { fill:#adb5bd; font-size:13px; }
.hover { fill:transparent; } .hover:hover { fill:rgba(0,0,0,.05); }
.seg-ok { fill:${COLORS.ok}; } .seg-slow { fill:${COLORS.slow}; } .seg-slower { fill:${COLORS.slower}; } .seg-fail { fill:${COLORS.fail}; }
.segtext { fill:#fff; font-size:11px; font-weight:600; pointer-events:none; }
.audit-ok { fill:${COLORS.ok}; } .audit-bad { fill:${COLORS.fail}; }
.chaos-legend { display:flex; gap:14px; color:var(--muted); font-size:12px; }
.chaos-legend i { display:inline-block; width:12px; height:10px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
footer { color:var(--muted); font-size:12px; margin-top:14px; }
</style></head>
<body><main>
<header>
  <h1>${escapeHtml(title)}</h1>
  <div class="meta">${verdict}
    <span>runner <b>${escapeHtml(result.runner)}</b></span>
    <span><b>${result.maxVUs}</b> VUs max</span>
    <span><b>${result.durationSeconds}</b> s load</span>
    <span><b>${int(result.requests.total)}</b> requests</span>
    <span><b>${result.audits.count}</b> audits</span>
    ${finalRead ? `<span>final read <b>${fmt(finalRead.secondsAfterLoad)} s</b> after the load, ${finalRead.drainSeconds > 0 ? `after a ${fmt(finalRead.drainSeconds, 1)} s drain` : "no drain"}</span>` : ""}
  </div>
</header>
<div class="cards">
  ${card("Profit", fmt(sc.profit), `net × (1 + bonus) × (1 − fine)`, "", true)}
  ${card("Net", fmt(sc.net), `gross ${fmt(sc.gross)}`)}
  ${card("Fees", fmt(sc.fees), processed ? `${fmt((sc.fees / Math.max(sc.gross, 1e-9)) * 100, 1)}% of gross` : "")}
  ${card("Latency bonus", `+${fmt(sc.latencyBonus * 100, 1)}%`, "(11 − p99) × 2%", sc.latencyBonus > 0 ? "good" : "")}
  ${card("Fine", fineText, "35% on any inconsistency", sc.fine > 0 ? "bad" : "good")}
  ${card(service ? "p99 · contest" : "p99", `${fmt(p99)} ms`, p99Sub, p99 < 11 ? "good" : p99 < 100 ? "warn" : "bad")}
  ${card("Lag", int(sc.lag), `${int(result.requests.accepted)} accepted − ${int(processed)} paid`, lagTone)}
  ${card("Default share", `${fmt(sc.defaultShare * 100, 1)}%`, `${int(result.processors.default.totalRequests)} default · ${int(result.processors.fallback.totalRequests)} fallback`)}
  ${card("Inconsistent audits", `${result.audits.inconsistent} / ${result.audits.count}`, `count difference ${int(result.audits.countDifference)}`, result.audits.inconsistent > 0 ? "bad" : "good")}
</div>
<div class="tables">
  <table><thead><tr><th>POST /payments</th><th></th></tr></thead><tbody>
    <tr><td>requests</td><td>${int(result.requests.total)}</td></tr>
    <tr><td>accepted (2xx)</td><td>${int(result.requests.accepted)}</td></tr>
    <tr><td>failed (incl. timeouts)</td><td>${int(result.requests.failed)}</td></tr>
    <tr><td>latency p50 / p90</td><td>${fmt(postLatency.p50)} / ${fmt(postLatency.p90)} ms</td></tr>
    <tr><td>latency p99 / max</td><td>${fmt(postLatency.p99)} / ${fmt(postLatency.max)} ms</td></tr>
  </tbody></table>
  <table><thead><tr><th>books (whole run)</th><th>payments</th><th>amount</th><th>fee</th></tr></thead><tbody>
    ${books.map(([name, count, amount, fee]) => `<tr><td>${name}</td><td>${int(Number(count))}</td><td>${fmt(Number(amount))}</td><td>${fee === null ? "" : fmt(Number(fee))}</td></tr>`).join("")}
  </tbody></table>
</div>
<section class="panel"><div class="panel-head"><h2>Chaos schedule <small>· each processor's delay and failure mode; audits below</small></h2>
  <div class="chaos-legend"><span><i style="background:${COLORS.ok}"></i>fast</span><span><i style="background:${COLORS.slow}"></i>slow ≥ 100 ms</span><span><i style="background:${COLORS.slower}"></i>slow ≥ 1 s</span><span><i style="background:${COLORS.fail}"></i>failing</span><span><i style="background:${COLORS.ok};transform:rotate(45deg);width:9px;height:9px"></i>audit ok</span><span><i style="background:${COLORS.fail};transform:rotate(45deg);width:9px;height:9px"></i>audit inconsistent</span></div></div>
  ${chaosStrip(result, bands, xMax)}
</section>
${section("Latency p99 per second <small>· ms, log scale · client timeout 1,500 ms</small>", latencySeries, lineChart({ id: "chart-p99", series: latencySeries, log: true, digits: 2, ...base }))}
${section("Throughput <small>· per second, by completion</small>", throughputSeries, lineChart({ id: "chart-throughput", series: throughputSeries, ...base }))}
${section("Routing split <small>· payments each processor holds, cumulative</small>", routingSeries, lineChart({ id: "chart-routing", series: routingSeries, xOffset: 1, ...base }))}
${section("Queue depth <small>· service's GET /internal/stats</small>", queueSeries, lineChart({ id: "chart-queue", series: queueSeries, xOffset: 1, empty: "this service has no GET /internal/stats", ...base }))}
<footer>Shaded: a processor slow (amber) or failing (red) in that step; grey after the solid line: load over, draining before the final summaries. Generated ${generated}.</footer>
</main></body></html>
`;
}

/**
 * Writes the report page, creating its folder.
 * @param {RunResult} result @param {string} path @param {{ title?: string }} [options]
 */
export async function writeReport(result, path, options = {}) {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, renderReport(result, options));
}
