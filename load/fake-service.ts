// A tiny stand-in for the payment service, for the load kit's own tests: it
// pays each payment synchronously (default, or fallback when default
// refuses) before answering 202, and keeps its own books, so its summary
// agrees with the processors' for every window (docs/contract.md §2).
import http from "node:http";
import type { AddressInfo } from "node:net";

type Paid = { processor: "default" | "fallback"; cents: number; at: number };

export type FakeService = { url: string; close(): Promise<void> };

export async function startFakeService(processors: Record<"default" | "fallback", string>): Promise<FakeService> {
  let paid: Paid[] = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST" && url.pathname === "/payments") {
      let text = "";
      for await (const chunk of req) text += chunk;
      const { correlationId, amount } = JSON.parse(text) as { correlationId: string; amount: number };
      const requestedAt = new Date().toISOString();
      for (const name of ["default", "fallback"] as const) {
        const answer = await fetch(`${processors[name]}/payments`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ correlationId, amount, requestedAt }),
        });
        await answer.arrayBuffer();
        if (answer.status === 200) {
          paid.push({ processor: name, cents: Math.round(amount * 100), at: Date.parse(requestedAt) });
          return reply(202, { status: "accepted" });
        }
      }
      return reply(502, { error: "no processor took it" });
    }
    if (req.method === "GET" && url.pathname === "/payments-summary") {
      const from = url.searchParams.get("from");
      const to = url.searchParams.get("to");
      const lo = from ? Date.parse(from) : -Infinity;
      const hi = to ? Date.parse(to) : Infinity;
      const totals = (name: Paid["processor"]) => {
        const mine = paid.filter((p) => p.processor === name && p.at >= lo && p.at <= hi);
        return { totalRequests: mine.length, totalAmount: mine.reduce((sum, p) => sum + p.cents, 0) / 100 };
      };
      return reply(200, { default: totals("default"), fallback: totals("fallback") });
    }
    if (req.method === "POST" && url.pathname === "/purge-payments") {
      paid = [];
      return reply(200, { status: "purged" });
    }
    reply(404, { error: "not found" });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
