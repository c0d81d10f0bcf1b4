// The processors' health for the whole deployment, when the ledger is in
// shards: one object, so the processors see at most one health call per
// HEALTH_INTERVAL_MS however many shards there are. Each shard asks it
// about once a second (health-polls.ts) and gets the latest answers at
// once; a poll that is due starts then, and its answer serves the next asks.
import { DurableObject } from "cloudflare:workers";
import { readMode } from "../workers/mode.ts";
import { readConfig } from "./config.ts";
import { type HealthDeps, type HealthReport, pollDue } from "./health-polls.ts";
import { HEALTH_TIMEOUT_MS, pollHealth } from "./processor-client.ts";
import { PROCESSORS, type ProcessorName } from "./routing.ts";

/** The one object's name. */
export const HEALTH_OBJECT_NAME = "processor-health";

export class ProcessorHealth extends DurableObject<Env> {
  private readonly urls: Record<ProcessorName, string>;
  /** When each processor's last poll left: stored before the poll leaves, so an eviction cannot make two within 5 s. */
  private readonly polledAt: Record<ProcessorName, number> = { default: 0, fallback: 0 };
  private readonly polling: Record<ProcessorName, boolean> = { default: false, fallback: false };
  private readonly report: HealthReport = { default: null, fallback: null };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.urls = readConfig(env).urls;
    void ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<Record<ProcessorName, number>>("polledAt");
      if (stored) Object.assign(this.polledAt, stored);
    });
  }

  /** The latest answers; starts a poll of each processor that is due and not already being polled. */
  current(): HealthReport {
    const now = Date.now();
    for (const name of PROCESSORS) {
      if (!this.polling[name] && pollDue(this.polledAt[name], now)) this.poll(name, now);
    }
    return { default: this.report.default, fallback: this.report.fallback };
  }

  private poll(name: ProcessorName, now: number): void {
    this.polling[name] = true;
    this.polledAt[name] = now;
    // The output gate holds the poll's request until this write is stored.
    void this.ctx.storage.put("polledAt", { ...this.polledAt });
    pollHealth(this.urls[name], HEALTH_TIMEOUT_MS)
      .then((health) => {
        if (health !== null) this.report[name] = { health, answeredAt: Date.now() };
      })
      .finally(() => {
        this.polling[name] = false;
      });
  }
}

/**
 * The deployment's one ProcessorHealth object, for a ledger shard to ask,
 * when the ledger is sharded (workers/mode.ts) and the object is bound;
 * null makes a ledger poll the processors itself, as the one ledger does.
 */
export function sharedHealth(env: Env): HealthDeps["shared"] {
  if (readMode(env).outbox || !env.HEALTH) return null;
  const namespace = env.HEALTH as DurableObjectNamespace<ProcessorHealth>;
  return namespace.get(namespace.idFromName(HEALTH_OBJECT_NAME));
}
