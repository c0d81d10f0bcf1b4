// When a ledger asks how the processors are (GET /payments/service-health).
// The processors answer one health call per 5 s for all callers together, so
// with the ledger in shards no shard may poll them itself: one
// ProcessorHealth object polls for the whole deployment and every shard asks
// it instead, which costs the processors nothing.
import { HEALTH_INTERVAL_MS, HEALTH_TIMEOUT_MS, pollHealth } from "./processor-client.ts";
import { PROCESSORS, type Health, type ProcessorName } from "./routing.ts";

/** How often a shard asks the shared health object: a call inside the platform, cheap. */
export const HEALTH_ASK_MS = 1_000;

/** Each processor's latest health answer and when it came, or null before the first. */
export type HealthReport = Record<ProcessorName, { health: Health; answeredAt: number } | null>;

/** Whether a poll is due, given when the last one left. */
export function pollDue(polledAt: number, now: number): boolean {
  return now - polledAt >= HEALTH_INTERVAL_MS;
}

/**
 * The answers in a report this ledger has not yet taken, and marks them
 * taken. Each answer is taken once: taken again later, an old "not failing"
 * would wipe out failures the ledger's own attempts saw since.
 */
export function unseenAnswers(report: HealthReport, seenAt: Record<ProcessorName, number>): Array<[ProcessorName, Health]> {
  const fresh: Array<[ProcessorName, Health]> = [];
  for (const name of PROCESSORS) {
    const entry = report[name];
    if (entry === null || entry.answeredAt <= seenAt[name]) continue;
    seenAt[name] = entry.answeredAt;
    fresh.push([name, entry.health]);
  }
  return fresh;
}

/** A ledger's own health polls (the one-ledger topology), or its asks of the shared object. */
export type HealthPolls = {
  polledAt: Record<ProcessorName, number>;
  askedAt: number;
  seenAt: Record<ProcessorName, number>;
};

export type HealthDeps = {
  urls: Record<ProcessorName, string>;
  /** The deployment's health object when the ledger is sharded, else null (poll the processors). */
  shared: { current(): Promise<HealthReport> } | null;
  /** Persists when a poll left, so a restart does not poll again too soon. */
  remember: (name: ProcessorName, at: number) => void;
  record: (name: ProcessorName, health: Health) => void;
  onError: (error: unknown) => void;
};

/** Polls, or asks the shared object, whatever is due now; answers arrive through `record`. */
export function checkHealthIfDue(polls: HealthPolls, now: number, deps: HealthDeps): void {
  if (deps.shared !== null) {
    if (now - polls.askedAt < HEALTH_ASK_MS) return;
    polls.askedAt = now;
    deps.shared
      .current()
      .then((report) => {
        for (const [name, health] of unseenAnswers(report, polls.seenAt)) deps.record(name, health);
      })
      .catch(deps.onError);
    return;
  }
  for (const name of PROCESSORS) {
    if (!pollDue(polls.polledAt[name], now)) continue;
    polls.polledAt[name] = now;
    deps.remember(name, now);
    pollHealth(deps.urls[name], HEALTH_TIMEOUT_MS)
      .then((health) => health !== null && deps.record(name, health))
      .catch(deps.onError);
  }
}
