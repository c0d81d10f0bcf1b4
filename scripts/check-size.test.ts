// The size limits of `npm run check`: a long file and a long function are
// each reported, nested functions on their own, and code within the limits is not.
import { describe, expect, it } from "vitest";
import { MAX_FILE_LINES, MAX_FUNCTION_LINES, offences } from "./check-size.mjs";

const body = (lines: number) => Array.from({ length: lines }, (_, i) => `  const v${i} = ${i};`).join("\n");

describe("check-size", () => {
  it("accepts a function of exactly the limit", () => {
    const text = `function ok() {\n${body(MAX_FUNCTION_LINES - 2)}\n}\n`;
    expect(offences("ok.ts", text)).toEqual([]);
  });

  it("reports a function one line over, by name and line", () => {
    const text = `// header\nexport const long = () => {\n${body(MAX_FUNCTION_LINES - 1)}\n};\n`;
    expect(offences("long.ts", text)).toEqual([`long.ts:2: function long is ${MAX_FUNCTION_LINES + 1} lines (at most ${MAX_FUNCTION_LINES})`]);
  });

  it("reports a method and, separately, a long function nested in it", () => {
    const inner = `    function inner() {\n${body(MAX_FUNCTION_LINES)}\n    }`;
    const text = `class A {\n  method() {\n${inner}\n  }\n}\n`;
    const found = offences("nested.mjs", text);
    expect(found).toHaveLength(2);
    expect(found[0]).toContain("function method is");
    expect(found[1]).toContain("function inner is");
  });

  it("reports a file over the limit", () => {
    const text = `${Array.from({ length: MAX_FILE_LINES + 1 }, (_, i) => `export const c${i} = ${i};`).join("\n")}\n`;
    expect(offences("big.ts", text)).toEqual([`big.ts: ${MAX_FILE_LINES + 1} lines (at most ${MAX_FILE_LINES})`]);
  });
});
