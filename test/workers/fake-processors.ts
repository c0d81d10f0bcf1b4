// Both payment processors, faked at the network edge: the Durable Object's
// fetch() calls land here instead of on a socket. Each fake follows docs/contract.md §3
// closely enough for the dispatcher's decisions: 200 stores, 422 for an id it
// holds, 500 in failure mode, GET /payments/{id}, and a health answer.
import { vi } from "vitest";

type Mode =
  | "ok"
  | "fail" // 500 and nothing stored
  | "hang"; // never answers (the caller's timeout fires); stores nothing unless told to

type Stored = { amount: number; requestedAt: string };

export class FakeProcessor {
  mode: Mode = "ok";
  delayMs = 0;
  readonly stored = new Map<string, Stored>();
  /** When each POST stored its payment (Date.now()), after the delay. */
  readonly storedAt = new Map<string, number>();
  /** Every POST /payments body received, in order. */
  readonly posts: Array<{ correlationId: string; amount: number; requestedAt: string }> = [];
  /** When each health call came (Date.now()). */
  readonly healthCalls: number[] = [];
  /** Ids answered 400 whatever the mode: a payment this processor will never take. */
  readonly poisoned = new Set<string>();

  constructor(readonly name: string) {}

  async handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (request.method === "GET" && url.pathname === "/payments/service-health") {
      this.healthCalls.push(Date.now());
      return Response.json({ failing: this.mode === "fail", minResponseTime: this.delayMs });
    }
    if (request.method === "GET" && url.pathname.startsWith("/payments/")) {
      const found = this.stored.get(url.pathname.slice("/payments/".length));
      return found ? Response.json({ correlationId: url.pathname.slice(10), ...found }) : new Response(null, { status: 404 });
    }
    if (request.method === "POST" && url.pathname === "/payments") {
      const body = (await request.json()) as { correlationId: string; amount: number; requestedAt: string };
      this.posts.push(body);
      if (this.poisoned.has(body.correlationId)) return new Response("bad", { status: 400 });
      if (this.mode === "hang") return new Promise<Response>(() => {});
      if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      if (this.mode === "fail") return new Response("boom", { status: 500 });
      if (this.stored.has(body.correlationId)) return new Response("duplicate", { status: 422 });
      this.stored.set(body.correlationId, { amount: body.amount, requestedAt: body.requestedAt });
      this.storedAt.set(body.correlationId, Date.now());
      return Response.json({ message: "payment processed successfully" });
    }
    return new Response("not found", { status: 404 });
  }

  postsFor(correlationId: string) {
    return this.posts.filter((post) => post.correlationId === correlationId);
  }
}

/** Replaces fetch() for the Durable Object (it shares the tests' isolate) with the two fakes. */
export function fakeProcessors(): { default: FakeProcessor; fallback: FakeProcessor } {
  const fakes = { default: new FakeProcessor("default"), fallback: new FakeProcessor("fallback") };
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const port = new URL(request.url).port;
    const fake = port === "8001" ? fakes.default : port === "8002" ? fakes.fallback : null;
    if (fake === null) throw new TypeError(`unexpected fetch to ${request.url}`);
    // Like a real fetch, give up when the caller's signal fires (its timeout).
    const signal = init?.signal;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener("abort", () => reject(signal.reason));
      fake.handle(request).then(resolve, reject);
    });
  });
  return fakes;
}
