// `npm run fuzz`: an open-ended run of the random-program property check
// (test/support/program-checks.ts) — random well-typed programs over every
// construct, each checked in every mode against its reference evaluator,
// finite differences and the other modes. Runs until its time is up (or
// Ctrl-C), printing progress and, for each failing program, its seed, what
// went wrong, its source and how to rerun it alone.
//
//   npm run fuzz                                # ten minutes from a random seed
//   npm run fuzz -- --minutes 60                # longer
//   npm run fuzz -- --seed 4711 --programs 1    # one program again
//   npm run fuzz -- --sizes 9,10                # n = 9, m = 10 (default 3, 2): blocked loops too

import { parseArgs } from "node:util";
import setup from "./support/global-setup.js";
import { checkPrograms, type Failure } from "./support/program-checks.js";
import { sizes } from "./support/random-programs.js";
import { verification } from "../compiler/verify-ir.js";

const { values } = parseArgs({
  options: {
    seed: { type: "string" },
    programs: { type: "string" },
    minutes: { type: "string", default: "10" },
    batch: { type: "string", default: "20" },
    sizes: { type: "string", default: "3,2" },
  },
});
[sizes.n, sizes.m] = values.sizes.split(",").map(Number) as [number, number];

const start = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const limit = values.programs === undefined ? Infinity : Number(values.programs);
const deadline = Date.now() + Number(values.minutes) * 60_000;
const batch = Number(values.batch);
if (
  ![start, batch, sizes.n, sizes.m].every(Number.isInteger) ||
  !(limit > 0) ||
  !(deadline > Date.now())
) {
  console.error("usage: npm run fuzz -- [--seed N] [--programs N] [--minutes M] [--batch N] [--sizes N,M]");
  process.exit(2);
}

let stopping = false;
process.on("SIGINT", () => {
  if (stopping) process.exit(130);
  stopping = true;
  console.log("\nstopping after this batch (Ctrl-C again to quit now)");
});

setup(); // the runtime, as JavaScript, for the generated modules
verification.enabled = true; // every pass of every program is verified, as in the tests
console.log(
  `fuzzing from seed ${start}${Number.isFinite(limit) ? `, ${limit} programs` : ""}, n = ${sizes.n}, m = ${sizes.m}`,
);
const began = Date.now();
const failures: Failure[] = [];
let programs = 0;
let againstDifferences = 0;
let typechecked = 0;
while (programs < limit && Date.now() < deadline && !stopping) {
  const count = Math.min(batch, limit - programs);
  const seeds = Array.from({ length: count }, (_, k) => start + programs + k);
  // A sample of the generated modules goes through the strict type check.
  const report = await checkPrograms(seeds, {
    batchSize: count,
    typecheckEvery: programs % 200 === 0 ? 1 : 0,
  });
  programs += count;
  againstDifferences += report.checkedAgainstDifferences;
  typechecked += report.typechecked;
  if (report.typeErrors !== "") {
    console.log(
      `\nFAIL: generated code for seeds ${seeds[0]}..${seeds.at(-1)} does not typecheck:\n${report.typeErrors}`,
    );
    failures.push({ seed: seeds[0]!, problem: "type errors", source: "" });
  }
  for (const f of report.failures) {
    failures.push(f);
    console.log(
      `\nFAIL seed ${f.seed}: ${f.problem}\n${f.source}rerun: npm run fuzz -- --seed ${f.seed} --programs 1\n`,
    );
  }
  if (programs % 200 < batch || programs >= limit) {
    const seconds = ((Date.now() - began) / 1000).toFixed(0);
    console.log(
      `${programs} programs in ${seconds} s: ${againstDifferences} checked against finite differences, ` +
        `${typechecked} modules typechecked, ${failures.length} failing`,
    );
  }
}
console.log(
  `done: ${programs} programs (seeds ${start}..${start + programs - 1}), ${failures.length} failing` +
    (failures.length > 0 ? `: seeds ${failures.map((f) => f.seed).join(", ")}` : ""),
);
process.exit(failures.length > 0 ? 1 : 0);
