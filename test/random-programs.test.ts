// Random well-typed programs over every construct, in every mode (fixed seeds,
// so CI reproduces each run): values against a reference evaluator, gradients,
// Jacobians and Hessians against finite differences, forward against reverse
// mode, Hessian symmetry, zero directions and seeds, at random points and at
// exponents of exactly 0 and 1, zeros, singular matrices and large arguments;
// a sample of the generated modules goes through the strict type check. See
// test/support/program-checks.ts for what is checked where, and `npm run fuzz`
// for open-ended runs.

import { describe, expect, it } from "vitest";
import { checkPrograms } from "./support/program-checks.js";

/** 300 programs; FUZZ_SCALE runs more (e.g. `FUZZ_SCALE=10 npx vitest run test/random-programs.test.ts`). */
const count = 300 * Number(process.env.FUZZ_SCALE ?? 1);
const firstSeed = 1;

describe("random programs in every mode", () => {
  it(`${count} programs: values, derivatives in every mode, and the strict type check of a sample`, async () => {
    const seeds = Array.from({ length: count }, (_, k) => firstSeed + k);
    const report = await checkPrograms(seeds, { batchSize: 15, typecheckEvery: 10 });
    const failures = report.failures.map((f) => `seed ${f.seed}: ${f.problem}\n${f.source}`);
    expect(failures).toEqual([]);
    expect(report.typeErrors).toBe("");
    expect(report.typechecked).toBeGreaterThanOrEqual(2);
    // Most programs must really have been checked against finite differences somewhere.
    expect(report.checkedAgainstDifferences).toBeGreaterThan(0.85 * count);
  }, 240_000);
});
