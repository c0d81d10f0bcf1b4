// Dispatcher settings from the environment (wrangler.toml [vars] or workerd
// bindings), checked once so a typo fails loudly instead of routing oddly.
import { shardCount } from "../lib/shard.ts";
import type { ProcessorName } from "./routing.ts";

export type DispatchConfig = {
  urls: Record<ProcessorName, string>;
  /** How long to wait for a processor's answer before calling the outcome unknown. */
  timeoutMs: number;
  /**
   * Most requests (payments and lookups) this ledger keeps on the wire to
   * each processor at once. MAX_IN_FLIGHT is the processors' admission for
   * the whole deployment; with the ledger in N shards each shard takes a
   * fixed share, MAX_IN_FLIGHT / N rounded down, so together they never
   * exceed it (unless it is below N: every shard gets at least 1). A
   * static split: a shard with nothing to do leaves its share idle, the
   * price of needing no coordination per request.
   */
  maxInFlight: number;
  /** Most on the wire to both processors together: each costs engine memory (~50-120 KB). */
  maxInFlightTotal: number;
  /**
   * How long a payment waits for a failing default, or in a draining
   * default's backlog, before the dear fallback may take it. The default,
   * 25 s, rides out a 20 s outage (two of the short run's 10 s steps) with
   * room for the probe that finds the recovery. The price: a run that ends
   * while default is down leaves up to that much of its arrivals unpaid.
   */
  fallbackAfterMs: number;
  /**
   * How long a payment that a working but saturated default cannot take
   * waits for it anyway, parked, before fallback takes it. Parked payments
   * go to default if it speeds up meanwhile, and to fallback at once when
   * payments stop arriving; so the longer, the more a slow spell that ends
   * mid-run saves, and the more the end of a run must flush to fallback in
   * its last moments.
   */
  parkMs: number;
  /**
   * How long after an attempt started it is surely over at the processor,
   * answered or not. Until then a payment whose outcome is unknown stays
   * pinned to that processor; after it, a lookup that finds nothing frees it.
   */
  settleAfterMs: number;
};

export function readConfig(env: Env): DispatchConfig {
  const vars = env as unknown as Record<string, string | null | undefined>;
  return {
    urls: {
      default: url(vars.PROCESSOR_DEFAULT_URL, "PROCESSOR_DEFAULT_URL"),
      fallback: url(vars.PROCESSOR_FALLBACK_URL, "PROCESSOR_FALLBACK_URL"),
    },
    timeoutMs: positive(vars.PROCESSOR_TIMEOUT_MS, 10_000, "PROCESSOR_TIMEOUT_MS"),
    maxInFlight: Math.max(1, Math.floor(positive(vars.MAX_IN_FLIGHT, 800, "MAX_IN_FLIGHT") / shardCount(vars.LEDGER_SHARDS))),
    maxInFlightTotal: positive(vars.MAX_IN_FLIGHT_TOTAL, 1_024, "MAX_IN_FLIGHT_TOTAL"),
    fallbackAfterMs: positive(vars.FALLBACK_AFTER_MS, 25_000, "FALLBACK_AFTER_MS"),
    parkMs: positive(vars.PARK_MS, 5_000, "PARK_MS"),
    settleAfterMs: positive(vars.SETTLE_AFTER_MS, 30_000, "SETTLE_AFTER_MS"),
  };
}

function url(value: string | null | undefined, name: string): string {
  if (!value || !URL.canParse(value)) throw new Error(`${name} must be an http(s) URL, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, "");
}

function positive(value: string | null | undefined, fallback: number, name: string): number {
  if (value == null || value === "") return fallback; // workerd binds an unset variable as null
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return n;
}
