// The secret that guards what nobody on the internet may do: erase the books
// (POST /purge-payments) or read the internals (GET /internal/stats).

/**
 * Whether an Authorization header carries `Bearer <secret>`. Compared in
 * constant time: both sides are hashed first (so their lengths say nothing
 * and the comparison always walks 32 bytes), then every byte is compared
 * without an early exit. No secret configured means nobody gets in: a
 * deployment that forgot `wrangler secret put` must fail closed, not open.
 */
export async function bearerMatches(header: string | null | undefined, secret: string | null | undefined): Promise<boolean> {
  if (!secret) return false;
  const presented = /^Bearer (.+)$/.exec(header ?? "")?.[1] ?? "";
  const [a, b] = await Promise.all([sha256(presented), sha256(secret)]);
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0 && presented.length > 0;
}

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}
