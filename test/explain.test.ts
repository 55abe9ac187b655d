// `gradc explain`: a printed formula cannot be wrong and pass. Each function's final formula,
// taken from the JSON form, is evaluated (test/support/formula-eval.ts, independent of the
// compiler's arithmetic) at random points and compared with the generated gradient; the
// identities print exactly as a person writes them.

import { readdirSync, readFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { explain, type Derivation, type Formula } from "../compiler/index.js";
import { explainCases, type Domain } from "./support/explain-cases.js";
import { column, evaluate, type Mat, type Val } from "./support/formula-eval.js";
import { load, type GeneratedModule } from "./support/load.js";
import { random } from "./support/numeric.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const source = explainCases.map((c) => c.source).join("\n");
const sizes: Record<string, number> = { n: 3, m: 4, d: 3, N: 5, k: 2, h: 4 };
const domains = new Map<string, Domain>();
for (const c of explainCases) {
  for (const name of c.source.matchAll(/fn (\w+)/g)) domains.set(name[1]!, c.domain ?? "any");
}

let generated: GeneratedModule;
/** The JSON form: each formula beside its text and LaTeX. */
interface Explained {
  readonly function: string;
  readonly params: Derivation["params"];
  readonly result: string;
  readonly resultShape: readonly (string | number)[];
  readonly variables: readonly { readonly name: string; readonly formula: Formula }[];
  readonly results: readonly { readonly wrt: string; readonly formula: Formula }[];
}
let derivations: readonly Explained[];

beforeAll(async () => {
  generated = await load(source);
  const explained = await explain(source, { filename: "cases.grad", format: "json" });
  expect(explained.diagnostics).toEqual([]);
  // The formulas as a tool reads them: from the JSON text.
  derivations = JSON.parse(explained.text!) as Explained[];
}, 60_000);

/** One parameter's value, drawn from its domain: for the generated code and the evaluator. */
function sample(shape: readonly (string | number)[], domain: Domain, rand: () => number) {
  const dims = shape.map((d) => (typeof d === "number" ? d : sizes[d]!));
  const draw = () =>
    domain === "positive" ? 0.5 + 1.5 * rand() : domain === "unit" ? 1.6 * rand() - 0.8 : 3 * rand() - 1.5;
  if (dims.length === 0) {
    const x = draw();
    return { code: x, formula: x as Val };
  }
  if (dims.length === 1) {
    const data = Float64Array.from({ length: dims[0]! }, draw);
    return { code: data, formula: column(data) as Val };
  }
  const [rows, cols] = dims as [number, number];
  const data = Float64Array.from({ length: rows * cols }, (_, i) =>
    domain === "spd" ? (Math.floor(i / cols) === i % cols ? rows : 0) + 0.5 * (rand() - 0.5) : draw(),
  );
  return { code: { rows, cols, data }, formula: { rows, cols, data: [...data] } as Val };
}

function entries(v: Val): number[] {
  return typeof v === "number" ? [v] : v.data;
}

describe("explain's final formulas agree with the generated gradients", () => {
  it("covers at least 40 functions and every built-in", () => {
    expect(explainCases.length).toBeGreaterThanOrEqual(40);
    for (const name of [
      ...["exp", "log", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh"],
      ...["sigmoid", "softplus", "relu", "abs", "sign", "log1p", "expm1", "max", "min", "pow"],
      ...["atan2", "hypot", "where", "sum", "mean", "prod", "norm1", "norm2", "logsumexp", "dot"],
      ...["outer", "transpose", "trace", "diag", "diagonal", "softmax", "inv", "det", "logdet"],
      ...["zeros", "ones", "eye"],
    ]) {
      expect(source, name).toMatch(new RegExp(`\\b${name}\\(`));
    }
  });

  it.each(explainCases.flatMap((c) => [...c.source.matchAll(/^fn (\w+)/gm)].map((m) => m[1]!)))(
    "%s",
    (name) =>
      checkFormulas(
        derivations.find((d) => d.function === name)!,
        generated,
        domains.get(name)!,
      ),
  );
});

/** Every example's functions, from their own modules: each file compiled once. */
describe("explain's final formulas agree with the generated gradients of examples/", () => {
  const files = [
    ...readdirSync(join(root, "examples")).map((f) => join(root, "examples", f)),
    ...readdirSync(join(root, "examples/explain")).map((f) => join(root, "examples/explain", f)),
  ].filter((f) => f.endsWith(".grad"));

  it.each(files.map((f) => [relative(root, f), f] as const))(
    "%s",
    async (_, file) => {
      const text = readFileSync(file, "utf8");
      const [module, explained] = await Promise.all([
        load(text),
        explain(text, { filename: basename(file), format: "json" }),
      ]);
      expect(explained.diagnostics).toEqual([]);
      const examples = JSON.parse(explained.text!) as Explained[];
      expect(examples.length).toBeGreaterThan(0);
      // Positive inputs: the examples take logarithms and square roots of their parameters.
      for (const derivation of examples) checkFormulas(derivation, module, "positive");
    },
    30_000,
  );
});

/** The derivation's final formulas, evaluated at three random points, against the module's gradient. */
function checkFormulas(derivation: Explained, module: GeneratedModule, domain: Domain): void {
  const name = derivation.function;
  {
    {
      const rand = random(name.length * 7919 + 17);
      for (let point = 0; point < 3; point++) {
        const env = new Map<string, Val>(Object.entries(sizes));
        const args = derivation.params.map((p) => {
          const value = sample(p.shape, domain, rand);
          env.set(p.name, value.formula);
          return value.code;
        });
        for (const v of derivation.variables) env.set(v.name, evaluate(v.formula, env));
        let grad: Record<string, number | Float64Array | Mat>;
        if (derivation.resultShape.length === 0) grad = module[`${name}Grad`](...args).grad;
        else {
          // A vector result: the backward pass from a random direction, the result's adjoint.
          const seed = sample(derivation.resultShape, "any", rand);
          env.set(`${derivation.result}\u0304`, seed.formula);
          grad = module[`${name}Backward`](module[`${name}Forward`](...args).tape, seed.code);
        }
        for (const result of derivation.results) {
          const expected = grad[result.wrt]!;
          const want =
            typeof expected === "number"
              ? [expected]
              : "data" in expected
                ? [...expected.data]
                : [...expected];
          const got = entries(evaluate(result.formula, env));
          expect(got.length, `${name}: ∂/∂${result.wrt} has ${got.length} entries`).toBe(want.length);
          got.forEach((g, i) =>
            expect(
              Math.abs(g - want[i]!),
              `${name}: ∂/∂${result.wrt}[${i}] = ${g}, generated ${want[i]}`,
            ).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want[i]!))),
          );
        }
      }
    }
  }
}
