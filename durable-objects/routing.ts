// Which processor takes the next payment. Pure decision logic: the state is
// plain data that the dispatcher feeds with what it observed, and every answer
// depends only on that state and the clock it is given.

export const PROCESSORS = ["default", "fallback"] as const;
export type ProcessorName = (typeof PROCESSORS)[number];

export type Health = { failing: boolean; minResponseTime: number };

export type ProcessorState = {
  /** Attempts that failed in a row (5xx, 429, timeout, network error) since the last success. */
  failures: number;
  /** While failing, nothing is sent before this time; after it, one probe at a time. */
  retryAt: number;
  /** A probe is on the wire; its answer decides whether the processor is back. */
  probing: boolean;
  /** When that probe left. */
  probeSentAt: number;
  inFlight: number;
  /** Moving average of how long its paying answers take (ms); 0 until one came. */
  latencyMs: number;
  /** The delay the processor itself reported at its last health poll, if any. */
  reportedDelayMs: number | null;
  /** When its last failing spell ended (0: never failed). */
  recoveredAt: number;
};

export type RoutingState = Record<ProcessorName, ProcessorState>;

export type Choice = { processor: ProcessorName; probe: boolean };

/** Longest pause between probes of a failing processor. */
export const MAX_PROBE_INTERVAL_MS = 2_000;
/**
 * A probe on the wire longer than this no longer holds the next one back: a
 * processor's delay is fixed when a request arrives, so a probe sent while it
 * was slow sleeps on after it has recovered.
 */
export const PROBE_PATIENCE_MS = 500;

export function initialRouting(): RoutingState {
  const fresh = (): ProcessorState => ({
    failures: 0,
    retryAt: 0,
    probing: false,
    probeSentAt: 0,
    inFlight: 0,
    latencyMs: 0,
    reportedDelayMs: null,
    recoveredAt: 0,
  });
  return { default: fresh(), fallback: fresh() };
}

/**
 * May a payment go to `processor` now? A healthy processor takes anything up
 * to the in-flight cap; a failing one takes a single probe once its pause is over.
 */
export function admit(state: RoutingState, processor: ProcessorName, now: number, maxInFlight: number): Choice | null {
  const p = state[processor];
  if (p.inFlight >= maxInFlight) return null;
  if (p.failures === 0) return { processor, probe: false };
  if (now < p.retryAt || (p.probing && now - p.probeSentAt < PROBE_PATIENCE_MS)) return null;
  return { processor, probe: true };
}

export type RoutingLimits = {
  /** Most requests on the wire to one processor (the processors admit 800 at once). */
  maxInFlight: number;
  /**
   * Most on the wire to both together. Each costs the engine memory, and
   * the one that needs many slots (a slow default that keeps up) is rarely
   * busy at the same time as the other.
   */
  maxInFlightTotal: number;
  /** How long a payment waits for default (failing, or draining a backlog) before the dear fallback may take it. */
  fallbackAfterMs: number;
  /** How long a payment a working but saturated default cannot take is parked for it (see `route`). */
  parkMs: number;
};

/**
 * The payments not yet paid, those on the wire included, counted only when
 * routing asks; how many arrived over the last second; and when the last
 * one arrived.
 */
export type Backlog = { waiting: () => number; arrivalsPerSecond: number; lastArrivalAt: number };

/**
 * How long a busy default that cannot keep up with arrivals may take to pay
 * everything not yet paid, for payments to keep waiting for it. A default
 * slower than this keeps nothing waiting beyond its wire: each slot it frees
 * goes to the next arrival, and the rest to fallback at once.
 *
 * A longer standing queue pays off a little when the slow spell ends
 * mid-run, but default keeps being fed from it after the last arrival, and
 * what it is sent then is still on the wire when the books are read: on a
 * run that ends with default slow, hundreds unpaid (docs/decisions.md,
 * f1c840f).
 */
export const STANDING_QUEUE_MS = 1_000;

/**
 * No payment for this long: traffic has stopped. Every wait for default is
 * a bet that it recovers (or speeds up) before the payments are counted, and
 * a load test reads its final books about 2 s after its last payment. So
 * once traffic stops the bet is off: what default cannot pay within
 * QUIET_PAYS_WITHIN_MS goes to fallback at once.
 */
export const QUIET_MS = 500;
export const QUIET_PAYS_WITHIN_MS = 1_000;

/**
 * Where the payment goes now; or the earliest time it is worth asking again;
 * or park it until then: it leaves the head of the queue, so that newer
 * payments get default's free slots, and is asked again then, or when
 * `unparks` says so.
 */
export type Route = { go: Choice } | { waitUntil: number } | { parkUntil: number };

/**
 * Where a payment accepted at `acceptedAt` goes now. Default, the cheap one,
 * whenever it takes payments. When it does not:
 * - default is failing: the payment waits for it, betting on a recovery;
 *   fallback may take it once it has waited `fallbackAfterMs`. A failing
 *   spell shorter than that costs nothing extra; a longer one costs what
 *   paying fallback at once would have, plus the wait.
 * - default works but every slot is taken: see `keepsUp`. What default will
 *   not clear in time is parked for `parkMs`, then goes to fallback. Waiting
 *   does not get a slow default to pay more (it already pays all it can),
 *   but it may speed up: a parked payment it is then fast enough for goes to
 *   it instead. Parked, it stays out of the way, so default's free slots go
 *   to newer payments and default is never fed old ones once traffic stops:
 *   what a slow default is sent after the last arrival is still on the wire
 *   when the books are read.
 * All these bets hold only while payments keep arriving (QUIET_MS).
 */
export function route(state: RoutingState, now: number, acceptedAt: number, limits: RoutingLimits, backlog: Backlog): Route {
  // Every slot is taken: an answer will free one and bring the payment back here.
  if (state.default.inFlight + state.fallback.inFlight >= limits.maxInFlightTotal) return { waitUntil: Infinity };
  const quietAt = backlog.lastArrivalAt + QUIET_MS;
  const quiet = now >= quietAt;
  const parkedUntil = acceptedAt + limits.parkMs;
  const toDefault = admit(state, "default", now, limits.maxInFlight);
  const toFallback = admit(state, "fallback", now, limits.maxInFlight);
  // A payment back from parking, or still waiting once payments have
  // stopped, does not take a free slot of a default that cannot keep up:
  // near the end of a run, it would still be on the wire when the books are read.
  const pastDefault =
    toDefault !== null &&
    toFallback !== null &&
    (quiet || now >= parkedUntil) &&
    state.default.failures === 0 &&
    !keepsUp(state.default, limits, backlog, quiet);
  if (pastDefault && toFallback) return { go: toFallback };
  if (toDefault) return { go: toDefault };
  // Both often come back together, and fallback's probe may simply answer
  // first: give default's probe (sent when fallback came back) a moment to
  // answer before fallback takes the whole backlog.
  const patientUntil = state.default.failures > 0 && !quiet ? Math.max(acceptedAt + limits.fallbackAfterMs, defaultsTurnUntil(state)) : now;
  if (toFallback && now >= patientUntil && !keepsUp(state.default, limits, backlog, quiet)) {
    if (!quiet && state.default.failures === 0 && now < parkedUntil) return { parkUntil: parkedUntil };
    return { go: toFallback };
  }
  const fallbackChance = now >= patientUntil ? nextChanceAt(state, "fallback", now) : patientUntil;
  const waitUntil = Math.min(nextChanceAt(state, "default", now), fallbackChance);
  // Fallback could take it, and waits only because payments keep coming:
  // look again the moment they stop.
  return { waitUntil: toFallback && !quiet ? Math.min(waitUntil, quietAt) : waitUntil };
}

/**
 * Should parked payments come back to the queue now? Once payments stop
 * arriving, so that fallback takes them at once; and once default pays
 * everything not yet paid, the parked included, within
 * QUIET_PAYS_WITHIN_MS, so that it takes them. Not once it merely "keeps
 * up": as traffic ends, the arrival rate falls below what a slow default
 * pays before QUIET_MS says it has ended, and a slow default given the
 * parked payments then still has them on the wire when the books are read
 * (the final schedule, ending with default 2 s slow: 85 unpaid).
 */
export function unparks(state: RoutingState, now: number, limits: RoutingLimits, backlog: Backlog): boolean {
  const quiet = now >= backlog.lastArrivalAt + QUIET_MS;
  return quiet || paysAllSoon(state.default, limits, backlog);
}

/** Until when a failing default gets to answer its probe before a just-recovered fallback takes its payments. */
function defaultsTurnUntil(state: RoutingState): number {
  if (state.default.failures === 0 || state.fallback.recoveredAt === 0) return 0;
  return state.fallback.recoveredAt + PROBE_PATIENCE_MS;
}

/**
 * Should the payments waiting stay with a working but busy processor? By
 * Little's law it pays maxInFlight payments per service time: answering in
 * 20 ms, thousands a second; in 3 s, under three hundred.
 * - If it pays them faster than they arrive, the backlog shrinks (an
 *   outage's backlog draining on recovery): keep it if its last payment is
 *   paid within `fallbackAfterMs`.
 * - If not, the backlog stands however long it gets: see STANDING_QUEUE_MS.
 * - Once traffic has stopped, keep only what it pays within QUIET_PAYS_WITHIN_MS.
 */
function keepsUp(p: ProcessorState, limits: RoutingLimits, backlog: Backlog, quiet: boolean): boolean {
  if (p.failures > 0) return false;
  if (quiet) return paysAllSoon(p, limits, backlog);
  const serviceMs = serviceTimeMs(p);
  const paysPerSecond = serviceMs > 0 ? (limits.maxInFlight * 1_000) / serviceMs : Infinity;
  const limitMs = backlog.arrivalsPerSecond >= paysPerSecond ? STANDING_QUEUE_MS : limits.fallbackAfterMs;
  return clearsInMs(p, limits, backlog) <= limitMs;
}

/** A working processor that pays everything not yet paid within QUIET_PAYS_WITHIN_MS. */
function paysAllSoon(p: ProcessorState, limits: RoutingLimits, backlog: Backlog): boolean {
  return p.failures === 0 && clearsInMs(p, limits, backlog) <= QUIET_PAYS_WITHIN_MS;
}

/** How long `p` takes to pay everything not yet paid: the last one a service time after it leaves, however few wait. */
function clearsInMs(p: ProcessorState, limits: RoutingLimits, backlog: Backlog): number {
  return serviceTimeMs(p) * Math.max(1, backlog.waiting() / limits.maxInFlight);
}

/**
 * How long the processor takes per payment. The answers we time include our
 * own queueing: draining a backlog, this thread is busy and a 20 ms answer is
 * seen hundreds of ms late. The processor's own report of its delay has no
 * such error but may be up to a poll old; the lower of the two is the better
 * guess, and a wrong "fast" costs at most one poll interval of waiting.
 */
export function serviceTimeMs(p: ProcessorState): number {
  if (p.reportedDelayMs === null) return p.latencyMs;
  if (p.latencyMs === 0) return p.reportedDelayMs;
  return Math.min(p.latencyMs, p.reportedDelayMs);
}

/**
 * When `processor` may take a payment again as far as its failures say. A
 * busy processor, or one with a probe on the wire, frees up when an answer
 * comes, which wakes the dispatcher anyway: that is Infinity here.
 */
export function nextChanceAt(state: RoutingState, processor: ProcessorName, now: number): number {
  const p = state[processor];
  if (p.failures === 0) return Infinity;
  const probeFree = p.probing ? p.probeSentAt + PROBE_PATIENCE_MS : now;
  return Math.max(p.retryAt, probeFree, now);
}

export function recordSent(state: RoutingState, choice: Choice, now = 0): void {
  const p = state[choice.processor];
  p.inFlight += 1;
  if (choice.probe) {
    p.probing = true;
    p.probeSentAt = now;
  }
}

/**
 * Feeds back how an attempt ended. Each failure in a row doubles the pause
 * before the next probe, so a processor that stays down costs one request
 * every couple of seconds and one that comes back is noticed quickly.
 */
export function recordResult(state: RoutingState, choice: Choice, result: "success" | "failure", now: number, latencyMs?: number): void {
  const p = state[choice.processor];
  p.inFlight = Math.max(0, p.inFlight - 1);
  if (choice.probe) p.probing = false;
  // Only answers that paid say how fast payments go through: a failing
  // spell's slow 500s would make a recovered processor look slow for a while.
  if (result === "success" && latencyMs !== undefined) {
    p.latencyMs = p.latencyMs === 0 ? latencyMs : 0.9 * p.latencyMs + 0.1 * latencyMs;
  }
  if (result === "success") {
    if (p.failures > 0) p.recoveredAt = now;
    p.failures = 0;
    p.retryAt = 0;
    // Conditions often change for both at once: when one comes back, probe
    // the other now rather than at the end of its pause, or the one whose
    // probe happened to come first takes the whole backlog.
    const other = state[choice.processor === "default" ? "fallback" : "default"];
    if (other.failures > 0) other.retryAt = Math.min(other.retryAt, now);
    return;
  }
  p.failures += 1;
  p.retryAt = now + Math.min(50 * 2 ** (p.failures - 1), MAX_PROBE_INTERVAL_MS);
}

/**
 * Feeds back a health poll. The processor reports its own failure switch, so
 * a "not failing" answer ends a failing spell at once, and a "failing" one
 * starts it without spending a payment to find out.
 */
export function recordHealth(state: RoutingState, processor: ProcessorName, health: Health, now: number): void {
  const p = state[processor];
  p.reportedDelayMs = health.minResponseTime;
  if (!health.failing) {
    if (p.failures > 0) p.recoveredAt = now;
    p.failures = 0;
    p.retryAt = 0;
  } else if (p.failures === 0) {
    p.failures = 1;
    p.retryAt = now + MAX_PROBE_INTERVAL_MS;
  }
}
