// `npm run bench:compile`: how long compiling takes as programs grow, with and without
// prettier, in one process (each size compiled twice; the second, warm, time is reported);
// then the output size of trees of calls, which grows linearly with the tree's depth.

import { readFileSync } from "node:fs";
import { compile } from "../compiler/index.js";
import { callTree } from "../test/support/call-sources.js";

/** One function of `n` statements, each reading the one before. */
const statements = (n: number) =>
  `fn f(x: real, v: real[n]) -> real {\n${Array.from(
    { length: n },
    (_, i) => `  t${i} = ${i === 0 ? "x" : `t${i - 1}`} * 1.01 + sin(x) * sum(v)`,
  ).join("\n")}\n  return t${n - 1}\n}\n`;

/** `n` small functions. */
const functions = (n: number) =>
  Array.from({ length: n }, (_, i) => `fn f${i}(x: real, y: real) = x^2 * y + sin(x * y)`).join("\n");

const cases: [string, string][] = [
  [
    "examples/paper.grad (99 lines)",
    readFileSync(new URL("../examples/paper.grad", import.meta.url), "utf8"),
  ],
  ["1 function of 10 statements", statements(10)],
  ["1 function of 100 statements", statements(100)],
  ["1 function of 1,000 statements", statements(1000)],
  ["1 function of 5,000 statements", statements(5000)],
  ["40 functions", functions(40)],
  ["200 functions", functions(200)],
  ["1,000 functions", functions(1000)],
];

async function time(source: string, format: boolean): Promise<{ ms: number; kb: number }> {
  await compile(source, { format });
  const start = performance.now();
  const { code } = await compile(source, { format });
  return { ms: performance.now() - start, kb: (code?.length ?? 0) / 1024 };
}

console.log("| program | output | compile() | with format: false |");
console.log("| --- | ---: | ---: | ---: |");
for (const [label, source] of cases) {
  const formatted = await time(source, true);
  const raw = await time(source, false);
  console.log(
    `| ${label} | ${formatted.kb.toFixed(0)} KB | ${(formatted.ms / 1000).toFixed(2)} s | ${(raw.ms / 1000).toFixed(2)} s |`,
  );
}

console.log();
console.log("Trees of calls: g_k(x) = g_{k-1}(sin(x)) + g_{k-1}(cos(x)), f(x) = sum(g_k(x)), default modes.");
console.log();
console.log("| k | source | output | compile() |");
console.log("| ---: | ---: | ---: | ---: |");
for (let k = 1; k <= 12; k++) {
  const source = callTree(k);
  const { ms, kb } = await time(source, true);
  console.log(`| ${k} | ${source.length} B | ${kb.toFixed(1)} KB | ${(ms / 1000).toFixed(2)} s |`);
}
