// Which requestedAt a payment is sent with: the moment the processor is
// expected to store it, not the moment it leaves.
//
// Why: auditors compare our summary with the processors' over a window that
// ends 2 s ago, reading both books a few milliseconds apart. A processor
// stores a payment only after its delay. Sent with requestedAt = now, a
// payment to a processor 3 s slow is stored, and booked here a moment later,
// long after its requestedAt entered the window: a store that lands between
// the two reads is in one count and not the other. Dated at its expected
// store time, a payment enters the window only ~2 s after both books hold it.
//
// Both books still carry the very value that was sent, so they agree by
// construction; only when a payment shows up in a window moves. An estimate
// too late costs nothing but that; one too early by more than the window's
// 2 s edge brings the race back. So the estimate leans late.

/** Send times of the payment requests on the wire to one processor, oldest first. */
export type Wire = number[];

/**
 * How much of the oldest request's time on the wire is not the processor's.
 * In a steady state the oldest request has been out for the delay plus the
 * moments its answer waits for our thread; that wait must not push every
 * requestedAt later.
 */
export const WIRE_SLACK_MS = 250;

/**
 * The requestedAt for a payment leaving now. `knownDelayMs` is the delay the
 * processor last showed (its health report, its answers). A rise shows
 * only after it, but a request out for longer than the known delay proves the
 * delay is at least that long: the age of the oldest one is the floor.
 */
export function requestedAtFor(now: number, knownDelayMs: number, wire: Wire, timeoutMs: number): number {
  const onTheWire = wire.length > 0 ? now - wire[0]! - WIRE_SLACK_MS : 0;
  // Beyond the timeout the request is given up on; no store is expected later than that.
  return now + Math.min(timeoutMs, Math.max(0, Math.round(knownDelayMs), onTheWire));
}

export function sent(wire: Wire, at: number): void {
  wire.push(at);
}

/** Takes one request sent at `sentAt` off the wire; answers come mostly oldest first. */
export function answered(wire: Wire, sentAt: number): void {
  const i = wire.indexOf(sentAt);
  if (i >= 0) wire.splice(i, 1);
}
