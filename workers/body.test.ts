// readBody: a body is read only up to the limit, whether or not it declares its length.
import { describe, expect, it } from "vitest";
import { readBody } from "./body.ts";

const LIMIT = 16;

/** A request that declares its length, as one read off the wire does. */
function declared(body: string): Request {
  return new Request("http://api/payments", { method: "POST", body, headers: { "content-length": String(new TextEncoder().encode(body).length) } });
}

/** A request whose body comes in pieces, with no Content-Length (as a chunked upload does). */
function chunked(...pieces: string[]): Request {
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const piece of pieces) controller.enqueue(encoder.encode(piece));
      controller.close();
    },
  });
  return new Request("http://api/payments", { method: "POST", body: stream, duplex: "half" } as RequestInit);
}

describe("readBody", () => {
  it("reads a body that declares a length within the limit", async () => {
    expect(await readBody(declared('{"a":1}'), LIMIT)).toBe('{"a":1}');
  });

  it("refuses a declared length over the limit without reading the body", async () => {
    const request = declared("x".repeat(LIMIT + 1));
    expect(await readBody(request, LIMIT)).toBeNull();
    expect(request.bodyUsed).toBe(false);
  });

  it("reads a body without a declared length, piece by piece, within the limit", async () => {
    const request = chunked("héllo ", "wörld");
    expect(request.headers.get("content-length")).toBeNull();
    expect(await readBody(request, LIMIT)).toBe("héllo wörld");
  });

  it("gives up on a body without a declared length once it passes the limit", async () => {
    expect(await readBody(chunked("x".repeat(10), "x".repeat(10)), LIMIT)).toBeNull();
  });

  it("answers an empty string when there is no body", async () => {
    expect(await readBody(new Request("http://api/", { method: "POST" }), LIMIT)).toBe("");
  });
});
