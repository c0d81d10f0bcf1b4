// Reading a request body without letting a client make us hold more than we
// mean to: a payment is ~90 bytes, so anything past a few KB is refused
// before it is read whole.

/**
 * The body as text, or null when it is larger than `maxBytes`. A declared
 * Content-Length is trusted up front (workerd never hands over more bytes
 * than it declares); a body without one is read piece by piece and given up
 * on at the limit.
 */
export async function readBody(request: Request, maxBytes: number): Promise<string | null> {
  const declared = request.headers.get("content-length");
  if (declared !== null) return Number(declared) > maxBytes ? null : request.text();
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    whole.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(whole);
}
