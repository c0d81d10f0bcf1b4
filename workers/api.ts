// The API worker: validates requests and hands them to the PaymentLedger
// Durable Object. It keeps no state of its own, so any number of copies can
// run behind the load balancer.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import { isInvalid, parsePayment, parseWindow } from "./validate.ts";
import { ledger } from "./ledger.ts";

export { PaymentLedger } from "../durable-objects/payment-ledger.ts";
export { LedgerGateway } from "./ledger.ts";

/** A payment is ~90 bytes of JSON; anything near this is not one. */
const MAX_BODY_BYTES = 4 * 1024;

export const app = new Hono<{ Bindings: Env }>();

app.get("/health", (c) => c.json({ status: "ok" }));

app.post(
  "/payments",
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: (c) => c.json({ error: `body larger than ${MAX_BODY_BYTES} bytes` }, 413),
  }),
  async (c) => {
    const type = c.req.header("content-type");
    if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
      return c.json({ error: "content-type must be application/json" }, 415);
    }
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return c.json({ error: "body is not valid JSON" }, 400);
    }
    const payment = parsePayment(body);
    if (isInvalid(payment)) return c.json(payment, 422);
    const result = await reach(() => ledger(c.env).accept(payment.correlationId, payment.cents));
    switch (result) {
      case "accepted":
        return c.json({ status: "accepted" }, 202);
      case "duplicate":
        // The client retried a payment we already hold: same answer class, nothing new queued.
        return c.json({ status: "already accepted" }, 200);
      case "conflict":
        return c.json({ error: "correlationId already used for another amount" }, 409);
    }
  },
);

app.get("/payments-summary", async (c) => {
  const window = parseWindow(c.req.query("from"), c.req.query("to"));
  if (isInvalid(window)) return c.json(window, 400);
  return c.json(await reach(() => ledger(c.env).summary(window.fromMs, window.toMs)));
});

app.post("/purge-payments", async (c) => {
  await reach(() => ledger(c.env).purge());
  return c.json({ status: "purged" });
});

app.get("/internal/stats", async (c) => c.json(await reach(() => ledger(c.env).stats())));

/**
 * Calls the ledger; when it cannot be reached (the engine restarting, say)
 * the client gets a 503 it may retry, and nothing was accepted.
 */
async function reach<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    console.error(`ledger unreachable: ${error instanceof Error ? error.message : String(error)}`);
    throw new HTTPException(503, { message: "ledger unavailable; try again" });
  }
}

const ROUTES: Record<string, string[]> = {
  "/payments": ["POST"],
  "/payments-summary": ["GET"],
  "/purge-payments": ["POST"],
  "/health": ["GET"],
  "/internal/stats": ["GET"],
};

app.notFound((c) => {
  const allowed = ROUTES[c.req.path];
  if (allowed) return c.json({ error: `method not allowed; use ${allowed.join(", ")}` }, 405, { allow: allowed.join(", ") });
  return c.json({ error: "not found" }, 404);
});

app.onError((error, c) => {
  if (error instanceof HTTPException) return c.json({ error: error.message }, error.status);
  // The details go to the log, never to the client.
  console.error("request failed", c.req.method, c.req.path, error);
  return c.json({ error: "internal error" }, 500);
});

export default app;
