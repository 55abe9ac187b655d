// The derivation as a reader gets it: Markdown with LaTeX math (renders on GitHub and with
// KaTeX), Unicode text for a terminal, or JSON for tools (each formula as LaTeX, as text and
// as data).

import type { AdjointStep, Derivation, LocalDerivative } from "./derivation.js";
import * as m from "./notation.js";
import type { Formula } from "./notation.js";
import type { Shape } from "./shapes.js";

export type ExplainFormat = "md" | "text" | "json";

export function printDerivations(derivations: readonly Derivation[], format: ExplainFormat): string {
  if (format === "json") return `${JSON.stringify(derivations.map(asJson), null, 2)}\n`;
  const print = format === "md" ? markdown : text;
  return derivations.map(print).join(format === "md" ? "\n" : "\n\n");
}

// ---------------------------------------------------------------------------
// Text

function text(d: Derivation): string {
  const lines: string[] = [];
  const f = m.formulaText;
  lines.push(
    `${d.function}(${d.params.map((p) => p.name).join(", ")}): the derivative of ${d.result}, step by step`,
  );
  lines.push("", "1. Intermediate variables, one operation each");
  const defs = d.variables.map((v) => `${v.name} = ${f(v.definition)}`);
  const spaces = d.variables.map((v) => `${v.name} ∈ ${spaceText(v.shape)}`);
  const width = (column: string[]) => Math.max(0, ...column.map((s) => [...s].length));
  d.variables.forEach((v, k) => {
    const where = v.line === undefined ? "" : `   line ${v.line}: ${v.source}`;
    lines.push(`   ${pad(defs[k]!, width(defs))}   ${pad(spaces[k]!, width(spaces))}${where}`.trimEnd());
  });
  lines.push("", "2. Local derivatives");
  for (const l of d.locals) lines.push(`   ${localText(l)}`);
  lines.push(
    "",
    `3. Chain rule, in reverse (dv = ∂${d.result}/∂v, shaped like v; a value used twice sums both shares)`,
  );
  for (const a of d.adjoints) lines.push(`   ${adjointText(a, d)}`);
  if (d.resultShape.length === 0) {
    lines.push("", "4. Result, substituted back and simplified");
    for (const r of d.results) lines.push(`   ∂${d.result}/∂${r.wrt} = ${f(r.formula)}`);
  } else {
    // A vector result: what the backward pass computes is the vector–Jacobian product.
    const seed = f(d.seed);
    lines.push(
      "",
      `4. Result, substituted back and simplified: for a direction ${seed}, dp = (∂${d.result}/∂p)ᵀ ${seed}`,
    );
    for (const r of d.results) lines.push(`   d${r.wrt} = ${f(r.formula)}`);
  }
  if (d.where.length > 0)
    lines.push(`   where ${d.where.map((v) => `${v.name} = ${f(v.definition)}`).join(", ")}`);
  return `${lines.join("\n")}\n`;
}

function localText(l: LocalDerivative): string {
  if (l.jacobian !== undefined) return `∂${l.of}/∂${l.wrt} = ${m.formulaText(l.jacobian)}`;
  return `d${l.of} = ${m.formulaText(l.differential!)}   (its differential in d${l.wrt})`;
}

function adjointText(a: AdjointStep, d: Derivation): string {
  const name = m.formulaText(m.symbol(`${a.of}\u0304`));
  const sum = a.terms.map((t) => m.formulaText(t.share)).join(" + ");
  if (a.of === d.result && d.resultShape.length > 0)
    return `${name}   (the seed: a direction, shaped like ${d.result})`;
  const uses =
    a.of === d.result
      ? "   (the seed)"
      : a.terms.length > 1
        ? `   (used by ${a.terms.map((t) => t.use).join(" and ")})`
        : "";
  return `${name} = ${sum}${uses}`;
}

const pad = (s: string, width: number) => s + " ".repeat(Math.max(0, width - [...s].length));

const superscripts: Record<string, string> = Object.fromEntries(
  [..."0123456789abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVW"].map((c, k) => [
    c,
    [..."⁰¹²³⁴⁵⁶⁷⁸⁹ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂ"][k]!,
  ]),
);

/** ℝ, ℝᴺ, ℝ^(N×d). */
function spaceText(shape: Shape): string {
  if (shape.length === 0) return "ℝ";
  const dims = shape.map(String);
  const sup = [...dims.join("")].every((c) => c in superscripts);
  if (dims.length === 1 && sup) return `ℝ${[...dims[0]!].map((c) => superscripts[c]).join("")}`;
  return `ℝ^(${dims.join("×")})`;
}

// ---------------------------------------------------------------------------
// Markdown with LaTeX

function markdown(d: Derivation): string {
  const l = m.formulaLatex;
  const result = m.symbolLatex(d.result);
  const params = d.params.map((p) => `${p.name}: ${shapeSource(p.shape)}`).join(", ");
  const out: string[] = [];
  out.push(`## \`${d.function}\`: the derivative of ${inline(result)}, step by step`, "");
  out.push(`\`fn ${d.function}(${params})\``, "");
  out.push("**1. Intermediate variables**, one operation each:", "");
  out.push("| variable | shape | source |", "| --- | --- | --- |");
  for (const v of d.variables) {
    const where = v.line === undefined ? "" : `line ${v.line}: \`${v.source}\``;
    out.push(
      `| ${inline(`${m.symbolLatex(v.name)} = ${l(v.definition)}`)} | ${inline(spaceLatex(v.shape))} | ${where} |`,
    );
  }
  out.push(
    "",
    "**2. Local derivatives** (numerator layout; element-wise operations as diagonal Jacobians):",
    "",
  );
  for (const local of d.locals) {
    const [of, wrt] = [m.symbolLatex(local.of), m.symbolLatex(local.wrt)];
    out.push(
      local.jacobian !== undefined
        ? `- ${inline(`\\frac{\\partial ${of}}{\\partial ${wrt}} = ${l(local.jacobian)}`)}`
        : `- ${inline(`d${of} = ${l(local.differential!)}`)} (its differential in ${inline(`d${wrt}`)})`,
    );
  }
  out.push(
    "",
    `**3. Chain rule, in reverse.** ${inline(`\\bar{v} = \\partial ${result} / \\partial v`)}, shaped like ${inline("v")}; a value used twice sums the shares of its uses:`,
    "",
  );
  for (const a of d.adjoints) {
    const sum = a.terms.map((t) => l(t.share)).join(" + ");
    if (a.of === d.result && d.resultShape.length > 0) {
      out.push(
        `- ${inline(m.symbolLatex(`${a.of}\u0304`))} (the seed: a direction, shaped like ${inline(result)})`,
      );
      continue;
    }
    const note =
      a.of === d.result
        ? " (the seed)"
        : a.terms.length > 1
          ? ` (used by ${a.terms.map((t) => inline(m.symbolLatex(t.use))).join(" and ")})`
          : "";
    out.push(`- ${inline(`${m.symbolLatex(`${a.of}\u0304`)} = ${sum}`)}${note}`);
  }
  const vector = d.resultShape.length > 0;
  const seed = l(d.seed);
  out.push(
    "",
    vector
      ? `**4. Result**, substituted back and simplified: for a direction ${inline(seed)}, the vector–Jacobian product ${inline(`\\bar{p} = (\\partial ${result} / \\partial p)^{\\top} ${seed}`)}:`
      : "**4. Result**, substituted back and simplified:",
    "",
  );
  for (const r of d.results) {
    const left = vector
      ? m.symbolLatex(`${r.wrt}\u0304`)
      : `\\frac{\\partial ${result}}{\\partial ${m.symbolLatex(r.wrt)}}`;
    out.push("$$", `${left} = ${l(r.formula)}`, "$$", "");
  }
  if (d.where.length > 0) {
    out.push(
      `where ${d.where.map((v) => inline(`${m.symbolLatex(v.name)} = ${l(v.definition)}`)).join(", ")}.`,
      "",
    );
  }
  return out.join("\n");
}

/** Inline math, with `|` escaped for Markdown tables. */
const inline = (latex: string) => `$${latex.replace(/\|/g, "\\vert ")}$`;

function spaceLatex(shape: Shape): string {
  if (shape.length === 0) return "\\mathbb{R}";
  return `\\mathbb{R}^{${shape.map((d) => m.symbolLatex(String(d))).join(" \\times ")}}`;
}

function shapeSource(shape: Shape): string {
  return shape.length === 0 ? "real" : `real[${shape.join(", ")}]`;
}

// ---------------------------------------------------------------------------
// JSON

function asJson(d: Derivation) {
  const both = (f: Formula) => ({ text: m.formulaText(f), latex: m.formulaLatex(f), formula: f });
  return {
    function: d.function,
    params: d.params,
    result: d.result,
    resultShape: d.resultShape,
    seed: both(d.seed),
    variables: d.variables.map((v) => ({
      name: v.name,
      shape: v.shape,
      line: v.line,
      source: v.source,
      ...both(v.definition),
    })),
    locals: d.locals.map((l) =>
      l.jacobian !== undefined
        ? { of: l.of, wrt: l.wrt, jacobian: both(l.jacobian) }
        : { of: l.of, wrt: l.wrt, differential: both(l.differential!) },
    ),
    adjoints: d.adjoints.map((a) => ({
      of: a.of,
      shape: a.shape,
      // The seed has no use it comes from.
      terms: a.terms.map((t) => ({ ...(t.use === "" ? {} : { use: t.use }), ...both(t.share) })),
    })),
    results: d.results.map((r) => ({ wrt: r.wrt, shape: r.shape, ...both(r.formula) })),
    where: d.where.map((v) => ({ name: v.name, ...both(v.definition) })),
  };
}
