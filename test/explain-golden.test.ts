// `gradc explain` on the worked examples of examples/explain/: each file's derivation in every
// format is a reviewed golden file under test/golden/explain/ (NAME.md, NAME.txt, NAME.json;
// `UPDATE_GOLDEN=1` rewrites them), each final formula is the exact string a reader is shown,
// and the outputs pasted into docs/explain.md are what the tool prints.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { explain, type ExplainFormat } from "../compiler/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const examples = join(root, "examples/explain");
const goldens = join(root, "test/golden/explain");
const names = readdirSync(examples)
  .filter((f) => f.endsWith(".grad"))
  .map((f) => f.slice(0, -".grad".length))
  .sort();
const extensions: Record<ExplainFormat, string> = { md: "md", text: "txt", json: "json" };

const sourceOf = (name: string) => readFileSync(join(examples, `${name}.grad`), "utf8");

async function explained(name: string, format: ExplainFormat): Promise<string> {
  const { text, diagnostics } = await explain(sourceOf(name), { filename: `${name}.grad`, format });
  expect(diagnostics).toEqual([]);
  expect(text).toBeDefined();
  return text!;
}

describe("gradc explain on examples/explain/ matches the reviewed golden files", () => {
  it("there are worked examples", () => {
    expect(names.length).toBeGreaterThanOrEqual(11);
  });

  it.each(
    names.flatMap((name) => (["md", "text", "json"] as const).map((format) => [name, format] as const)),
  )("%s (%s)", async (name, format) => {
    const text = await explained(name, format);
    const path = join(goldens, `${name}.${extensions[format]}`);
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(goldens, { recursive: true });
      writeFileSync(path, text);
    }
    expect(text).toBe(readFileSync(path, "utf8"));
  });

  it("has no golden file without its example", () => {
    const expected = names.flatMap((name) => Object.values(extensions).map((ext) => `${name}.${ext}`));
    expect(readdirSync(goldens).sort()).toEqual(expected.sort());
  });
});

/** Step 4 of the text format, as printed: the results and their `where` line. */
const finalFormulas: Record<string, readonly string[]> = {
  partial: ["∂f/∂x = 6 x y", "∂f/∂y = 3 x²"],
  chain: ["∂y/∂x = 2 x cos(x²)"],
  total: ["∂y/∂x = 2 x + 1"],
  // A vector result: the vector–Jacobian product for a direction dy, (2/x, 3 cos(3x)) · dy.
  "vector-chain": ["dx = (2 x/g1) dy[0] + 3 dy[1] cos(g2)", "where g1 = x², g2 = 3 x"],
  activation: ["∂activation/∂w = 1[z > 0] x", "∂activation/∂b = 1[z > 0]", "where z = w · x + b"],
  loss: [
    "∂loss/∂w = −(2/N) Xᵀ ((y − a) ⊙ 1[z > 0])",
    "∂loss/∂b = −(2/N) sum((y − a) ⊙ 1[z > 0])",
    "where z = X w + b, a = max(0, z)",
  ],
  "quadratic-form": ["∂quad/∂x = (A + Aᵀ) x"],
  "least-squares": ["∂lsq/∂w = 2 Xᵀ (X w − y)"],
  trace: ["∂tr/∂X = Aᵀ"],
  logdet: ["∂ld/∂X = X⁻ᵀ"],
  // The general form: sum(y) multiplies softmax(W x); for a y that sums to 1 (one-hot labels),
  // (softmax(W x) − y) xᵀ.
  "softmax-xent": ["∂xent/∂W = (sum(y) softmax(W x) − y) xᵀ"],
};

describe("the final formulas are the closed forms", () => {
  it("every example has its expected formula", () => {
    expect(Object.keys(finalFormulas).sort()).toEqual(names);
  });

  it.each(names)("%s", async (name) => {
    const text = await explained(name, "text");
    const lines = text.split("\n");
    const step4 = lines.findIndex((l) => l.startsWith("4. Result"));
    expect(step4).toBeGreaterThan(0);
    const result = lines.slice(step4 + 1).filter((l) => l.trim() !== "");
    expect(result.map((l) => l.trim())).toEqual(finalFormulas[name]);
  });
});

/** A document's lines, and the fenced block that starts at or after line `at` (with its final newline). */
function documentLines(document: string) {
  const lines = readFileSync(join(root, document), "utf8").split("\n");
  const blockAfter = (at: number) => {
    let start = at;
    while (!lines[start]!.startsWith("```")) start++;
    let end = start + 1;
    while (!lines[end]!.startsWith("```")) end++;
    return `${lines.slice(start + 1, end).join("\n")}\n`;
  };
  return { lines, blockAfter };
}

/**
 * Markers in the docs, each on its own line:
 *   <!-- gradc-explain: examples/explain/NAME.grad --format F -->  the fenced block after it is the whole output
 *   <!-- gradc-explain-source: examples/explain/NAME.grad -->      the fenced block is the file, its comment lines left out
 *   <!-- gradc-explain-result: examples/explain/NAME.grad -->      the lines up to the next marker are step 4 of the Markdown
 */
function markersOf(document: string) {
  const { lines, blockAfter } = documentLines(document);
  const marked = (kind: string) =>
    lines.flatMap((line, k) => {
      const marker = new RegExp(
        `^<!-- gradc-explain${kind}: examples/explain/(\\S+)\\.grad(?: --format (md|text|json))? -->$`,
      ).exec(line);
      return marker === null
        ? []
        : [
            {
              where: `${document}:${k + 1}`,
              line: k,
              name: marker[1]!,
              format: (marker[2] ?? "md") as ExplainFormat,
            },
          ];
    });
  const outputs = marked("").map((m) => ({ ...m, text: blockAfter(m.line + 1) }));
  const sources = marked("-source").map((m) => ({ ...m, text: blockAfter(m.line + 1) }));
  const results = marked("-result").map((m) => {
    let end = m.line + 1;
    while (end < lines.length && !lines[end]!.startsWith("<!--")) end++;
    const text = lines
      .slice(m.line + 1, end)
      .join("\n")
      .trim();
    return { ...m, text: `${text}\n` };
  });
  return { outputs, sources, results };
}

describe("the docs show what gradc explain prints", () => {
  const documents = ["docs/explain.md", "README.md", "docs/cli.md"].map(markersOf);
  const outputs = documents.flatMap((d) => d.outputs);
  const sources = documents.flatMap((d) => d.sources);
  const results = documents.flatMap((d) => d.results);

  it("docs/explain.md shows every example's source, final formula and output", () => {
    const manual = documents[0]!;
    for (const shown of [manual.outputs, manual.sources, manual.results]) {
      expect(new Set(shown.map((o) => o.name))).toEqual(new Set(names));
    }
  });

  it.each(outputs.map((o) => [`${o.where} (${o.name}, ${o.format})`, o] as const))("%s", async (_, o) => {
    expect(o.text).toBe(await explained(o.name, o.format));
  });

  it.each(results.map((r) => [`${r.where} (${r.name}, result)`, r] as const))("%s", async (_, r) => {
    const md = await explained(r.name, "md");
    const step4 = md.indexOf("\n\n", md.indexOf("**4. Result**")) + 2;
    expect(r.text).toBe(`${md.slice(step4).trim()}\n`);
  });

  it.each(sources.map((s) => [`${s.where} (${s.name}, source)`, s] as const))("%s", (_, s) => {
    const code = sourceOf(s.name)
      .split("\n")
      .filter((l) => !l.startsWith("#"))
      .join("\n");
    expect(s.text).toBe(code);
  });
});
