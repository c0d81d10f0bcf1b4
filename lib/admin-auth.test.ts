import { describe, expect, it } from "vitest";
import { bearerMatches } from "./admin-auth.ts";

describe("bearerMatches", () => {
  it("lets the right secret in", async () => {
    expect(await bearerMatches("Bearer s3cret-value", "s3cret-value")).toBe(true);
  });

  it.each([
    ["no header", null],
    ["an empty header", ""],
    ["the bare secret", "s3cret-value"],
    ["another scheme", "Basic s3cret-value"],
    ["a wrong secret", "Bearer s3cret-valuf"],
    ["a prefix of it", "Bearer s3cret"],
    ["a longer one", "Bearer s3cret-value-and-more"],
    ["an empty bearer", "Bearer "],
  ])("keeps out %s", async (_, header) => {
    expect(await bearerMatches(header, "s3cret-value")).toBe(false);
  });

  it.each([undefined, null, ""])("keeps everybody out when no secret is set (%j)", async (secret) => {
    expect(await bearerMatches("Bearer ", secret)).toBe(false);
    expect(await bearerMatches("Bearer anything", secret)).toBe(false);
  });
});
