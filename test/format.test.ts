// Emission prints in prettier's style and prettier formats only the over-long lines
// (compiler/format.ts). These tests hold that to the promise: the result is exactly what
// prettier makes of the whole module, for the examples and for random programs in every
// mode, and expressions come out parenthesized as prettier prints them.

import fc from "fast-check";
import { readFileSync } from "node:fs";
import * as prettier from "prettier";
import { describe, expect, it } from "vitest";
import { formatModule, printWidth } from "../compiler/format.js";
import { compile, type Mode } from "../compiler/index.js";
import {
  binary,
  call,
  conditional,
  fromCode,
  negate,
  primary,
  type BinaryOperator,
  type Expr,
} from "../compiler/ts-syntax.js";
import { randomProgram } from "./support/random-programs.js";

const allModes: Mode[] = ["grad", "vjp", "jvp", "jacobian", "hessian"];

async function unformatted(source: string, filename: string): Promise<string> {
  const { code, diagnostics } = await compile(source, { modes: allModes, format: false, filename });
  expect(diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return code!;
}

describe("formatting only the long lines gives prettier's formatting of the whole module", () => {
  for (const example of ["paper", "mlp", "cars-regression"]) {
    it(`examples/${example}.grad, every mode`, async () => {
      const file = `examples/${example}.grad`;
      const text = await unformatted(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"), file);
      expect(text.split("\n").some((l) => l.length > printWidth)).toBe(true);
      expect(await formatModule(text)).toBe(await formatModule(text, true));
    });
  }

  it("12 random programs, every mode", async () => {
    for (let seed = 9100; seed < 9112; seed++) {
      const text = await unformatted(randomProgram(seed).source, `r${seed}.grad`);
      expect(await formatModule(text), `seed ${seed}`).toBe(await formatModule(text, true));
    }
  });

  it("with wide characters in names, which prettier counts as two columns", async () => {
    const source = "fn 損失(重み: real[n], 入力: real[n]) = sum((重み * 入力 - 1)^2) + sum(重み^2) / 2\n";
    const text = await unformatted(source, "wide.grad");
    expect(await formatModule(text)).toBe(await formatModule(text, true));
  });

  it("falls back to the whole module for a long line it cannot place on its own", async () => {
    const long = `  readonly ${"x".repeat(120)}: number;`;
    const text = `interface T {\n${long}\n}\n`;
    expect(await formatModule(text)).toBe(await formatModule(text, true));
  });
});

describe("expressions are parenthesized as prettier prints them", () => {
  const operators: BinaryOperator[] = ["+", "-", "*", "/", "**", "===", "!==", "<", "<=", ">", ">=", "||"];
  const leaf = fc.constantFrom<Expr>(
    primary("a"),
    primary("b"),
    primary("2"),
    fromCode("-1"),
    primary("f(c)"),
  );
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.tuple(tie("expr"), fc.constantFrom(...operators), tie("expr")).map(([l, op, r]) => binary(l, op, r)),
      tie("expr").map(negate),
      fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([t, c, e]) => conditional(t, c, e)),
      fc.tuple(tie("expr"), tie("expr")).map(([x, y]) => call("Math.max", [x, y])),
    ),
  }));

  /** One expression of each form at its top. */
  const forms: Expr[] = [
    primary("a"),
    fromCode("-1"),
    negate(primary("a")),
    conditional(primary("a"), primary("b"), primary("c")),
    ...operators.map((op) => binary(primary("a"), op, primary("b"))),
  ];

  it("for every form as each operand of every operator", async () => {
    const x = primary("x");
    const samples = forms.flatMap((child) => [
      negate(child),
      conditional(child, x, x),
      conditional(x, child, x),
      conditional(x, x, child),
      call("f", [child, x]),
      ...operators.flatMap((op) => [binary(child, op, x), binary(x, op, child)]),
    ]);
    const source = samples.map((e, k) => `x${k} = ${e.text};`).join("\n") + "\n";
    expect(await prettier.format(source, { parser: "typescript", printWidth: 1000 })).toBe(source);
  });

  it("for 300 random expressions", async () => {
    const samples = fc.sample(
      expr.filter((e) => e.text.length < 80),
      { numRuns: 300, seed: 42 },
    );
    const source = samples.map((e, k) => `x${k} = ${e.text};`).join("\n") + "\n";
    expect(await prettier.format(source, { parser: "typescript", printWidth: 1000 })).toBe(source);
  });
});
