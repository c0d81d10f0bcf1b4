// One workerd process that answers POST /payments in several ways, each a
// layer more than the one before, so the CPU a layer adds can be read off
// side by side (run.mjs). The path picks the layer:
//   /bare       answers 202; what workerd's HTTP costs on its own
//   /json       + reads the body, JSON.parse, the API's validation
//   /hono       + the API's Hono route as shipped (bodyLimit, content-type check, c.json answer)
//   /hono-lean  the same checks without the bodyLimit middleware, and an empty 202
//   /rpc        /hono-lean + one RPC call to a same-process Durable Object that does nothing
//   /sql3       /rpc + the outbox's three statements (look up, two upserts) in one transaction
//   /sql1       /rpc + one INSERT into one table, as a leaner outbox would
import { DurableObject } from "cloudflare:workers";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { isInvalid, parsePayment } from "../../workers/validate.ts";

type Bindings = { SINK: DurableObjectNamespace<Sink> };

export class Sink extends DurableObject<Bindings> {
  private lastGcAt = 0;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      ctx.storage.sql.exec(`
        CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, cents INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, cents INTEGER NOT NULL, at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS accepted (id TEXT NOT NULL UNIQUE, cents INTEGER NOT NULL, at INTEGER NOT NULL);`);
    });
  }

  nothing(): string {
    this.collect();
    return "accepted";
  }

  three(id: string, cents: number): string {
    const sql = this.ctx.storage.sql;
    this.ctx.storage.transactionSync(() => {
      sql.exec("SELECT cents FROM seen WHERE id = ?", id).toArray();
      const upsert = "ON CONFLICT (id) DO UPDATE SET at = excluded.at";
      sql.exec(`INSERT INTO seen (id, cents, at) VALUES (?, ?, ?) ${upsert}`, id, cents, Date.now());
      sql.exec(`INSERT INTO outbox (id, cents, at) VALUES (?, ?, ?) ${upsert}`, id, cents, Date.now());
    });
    this.collect();
    return "accepted";
  }

  one(id: string, cents: number): string {
    const written = this.ctx.storage.sql.exec(
      "INSERT INTO accepted (id, cents, at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      id,
      cents,
      Date.now(),
    ).rowsWritten;
    this.collect();
    return written > 0 ? "accepted" : "duplicate";
  }

  /** A full GC every 500 ms, as the outbox runs one (durable-objects/native-memory.ts). */
  private collect(): void {
    const gc = (globalThis as { gc?: () => void }).gc;
    const now = Date.now();
    if (gc !== undefined && now - this.lastGcAt >= 500) {
      this.lastGcAt = now;
      gc();
    }
  }
}

const sink = (env: Bindings) => env.SINK.get(env.SINK.idFromName("sink"));
const JSON_TYPE = /^application\/json\s*(;|$)/i;

const app = new Hono<{ Bindings: Bindings }>();

app.post("/bare", () => new Response(null, { status: 202 }));

app.post("/json", async (c) => {
  const payment = parsePayment(JSON.parse(await c.req.raw.text()));
  return new Response(null, { status: isInvalid(payment) ? 422 : 202 });
});

app.post("/hono", bodyLimit({ maxSize: 4096 }), async (c) => {
  const type = c.req.header("content-type");
  if (type !== undefined && !JSON_TYPE.test(type)) return c.json({ error: "content-type" }, 415);
  const payment = parsePayment(JSON.parse(await c.req.text()));
  if (isInvalid(payment)) return c.json(payment, 422);
  return c.json({ status: "accepted" }, 202);
});

/** The lean route's checks, then `store` decides the answer. */
function lean(store: (env: Bindings, id: string, cents: number) => Promise<string> | string) {
  return async (c: { req: { raw: Request }; env: Bindings }) => {
    const { raw } = c.req;
    if (Number(raw.headers.get("content-length") ?? 0) > 4096) return new Response(null, { status: 413 });
    const type = raw.headers.get("content-type");
    if (type !== null && !JSON_TYPE.test(type)) return new Response(null, { status: 415 });
    const payment = parsePayment(JSON.parse(await raw.text()));
    if (isInvalid(payment)) return new Response(null, { status: 422 });
    const result = await store(c.env, payment.correlationId, payment.cents);
    return new Response(null, { status: result === "accepted" ? 202 : 200 });
  };
}

app.post(
  "/hono-lean",
  lean(() => "accepted"),
);
app.post(
  "/rpc",
  lean((env) => sink(env).nothing()),
);
app.post(
  "/sql3",
  lean((env, id, cents) => sink(env).three(id, cents)),
);
app.post(
  "/sql1",
  lean((env, id, cents) => sink(env).one(id, cents)),
);

export default app;
