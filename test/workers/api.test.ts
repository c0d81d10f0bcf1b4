// The HTTP contract: what each route answers, and that bad input changes nothing.
import { exports } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { fakeProcessors } from "./fake-processors.ts";

const call = (path: string, init?: RequestInit) => exports.default.fetch(new Request(`http://api${path}`, init));
const post = (path: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
  call(path, { method: "POST", body, headers });
const summary = async (query = "") => (await call(`/payments-summary${query}`)).json();
/** Payments held anywhere short of the books: in this instance's outbox or the ledger's queue. */
const waiting = async () => {
  const stats = (await (await call("/internal/stats")).json()) as { waiting: number; outboxPending: number };
  return stats.waiting + stats.outboxPending;
};

const EMPTY = { default: { totalRequests: 0, totalAmount: 0 }, fallback: { totalRequests: 0, totalAmount: 0 } };

beforeEach(async () => {
  fakeProcessors();
  await post("/purge-payments", "");
});

describe("POST /payments", () => {
  it("accepts a payment with 202 and the summary shows it once paid", async () => {
    const response = await post("/payments", JSON.stringify({ correlationId: crypto.randomUUID(), amount: 19.9 }));
    expect(response.status).toBe(202);
    await expect.poll(() => summary()).toEqual({ ...EMPTY, default: { totalRequests: 1, totalAmount: 19.9 } });
  });

  it("answers a repeated correlationId with 200 and queues nothing new; another amount is a 409", async () => {
    const correlationId = crypto.randomUUID();
    expect((await post("/payments", JSON.stringify({ correlationId, amount: 10 }))).status).toBe(202);
    expect((await post("/payments", JSON.stringify({ correlationId, amount: 10 }))).status).toBe(200);
    expect((await post("/payments", JSON.stringify({ correlationId: correlationId.toUpperCase(), amount: 10 }))).status).toBe(200);
    const conflict = await post("/payments", JSON.stringify({ correlationId, amount: 11 }));
    expect(conflict.status).toBe(409);
    await expect.poll(() => summary()).toEqual({ ...EMPTY, default: { totalRequests: 1, totalAmount: 10 } });
  });

  const id = "4a7901b8-7d26-4d9d-aa19-4dc1c7cf60b3";
  it.each([
    ["malformed JSON", "{", 400],
    ["an empty body", "", 400],
    ["a JSON array", "[]", 422],
    ["no amount", JSON.stringify({ correlationId: id }), 422],
    ["a non-UUID id", JSON.stringify({ correlationId: "abc", amount: 1 }), 422],
    ["a string amount", JSON.stringify({ correlationId: id, amount: "1.00" }), 422],
    ["a negative amount", JSON.stringify({ correlationId: id, amount: -1 }), 422],
    ["three decimals", JSON.stringify({ correlationId: id, amount: 1.001 }), 422],
    ["an absurd amount", JSON.stringify({ correlationId: id, amount: 1e15 }), 422],
    ["an oversized body", JSON.stringify({ correlationId: id, amount: 1, pad: "x".repeat(10_000) }), 413],
  ])("refuses %s with a JSON error and no side effect", async (_, body, status) => {
    const response = await post("/payments", body);
    expect(response.status).toBe(status);
    expect(await response.json()).toHaveProperty("error");
    expect(await summary()).toEqual(EMPTY);
    expect(await waiting()).toBe(0);
  });

  it("refuses an oversized body sent without a Content-Length with 413 and no side effect", async () => {
    const piece = new TextEncoder().encode("x".repeat(1024));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(piece);
        controller.close();
      },
    });
    const response = await call("/payments", { method: "POST", body, headers: { "content-type": "application/json" } });
    expect(response.status).toBe(413);
    expect(await response.json()).toHaveProperty("error");
    expect(await waiting()).toBe(0);
  });

  it("refuses a non-JSON content type with 415", async () => {
    const response = await post("/payments", JSON.stringify({ correlationId: id, amount: 1 }), { "content-type": "text/plain" });
    expect(response.status).toBe(415);
    expect(await waiting()).toBe(0);
  });
});

describe("GET /payments-summary", () => {
  it("answers the contract's shape with open bounds", async () => {
    expect(await summary()).toEqual(EMPTY);
  });

  it.each(["?from=yesterday", "?to=2025-07-10", "?from=2025-07-10T12:00:01Z&to=2025-07-10T12:00:00Z"])("refuses %s with 400", async (query) => {
    const response = await call(`/payments-summary${query}`);
    expect(response.status).toBe(400);
    expect(await response.json()).toHaveProperty("error");
  });
});

describe("routing of unknown things", () => {
  it("answers unknown paths with 404 and wrong methods with 405, in JSON", async () => {
    const missing = await call("/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "not found" });
    const wrong = await call("/payments", { method: "GET" });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("allow")).toBe("POST");
  });

  it.each([
    ["/payments-summary", "POST", "GET"],
    ["/purge-payments", "GET", "POST"],
    ["/internal/stats", "DELETE", "GET"],
    ["/health", "PUT", "GET"],
  ])("answers %s asked with %s by 405, allowing %s", async (path, method, allowed) => {
    const response = await call(path, { method });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe(allowed);
    expect(await response.json()).toEqual({ error: `method not allowed; use ${allowed}` });
  });

  it("has a health endpoint for load balancers", async () => {
    const response = await call("/health");
    expect(response.status).toBe(200);
  });
});
