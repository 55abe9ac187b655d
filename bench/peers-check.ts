// Checks every peer (bench/peers.ts) against central finite differences of a plain float64 loss
// written here, on the small and medium sizes (the large one: the loss only), then times each one
// (mean of 200 runs after warm-up; fewer at the large size where 200 would take over 20 s). Run
// from the repository root, after `npm install --prefix bench`:
//
//   npx tsx bench/peers-check.ts
//
// Errors are relative to the size of the reference: |value − ref| / |ref| for the loss, and
// max_i |g_i − fd_i| / max_i |fd_i| for the gradient (so an entry near zero is not judged alone).
// A float32 peer passes within 1e-3. A float64 peer passes within 1e-5, not less: jax-js computes
// float64 exp/log on Wasm to about float32 accuracy (softplus and logsumexp are off by ~5e-6), and
// its jitted mean over N × c divides by a float32-rounded 1/(N c) (2^-26 off for c = 10).

import { cpus, loadavg } from "node:os";
import { loadPeers, type ProblemKey } from "./peers.js";
import { problemData, sizes, type ProblemData } from "./problems.js";

const keys: readonly ProblemKey[] = ["p1", "p2", "p3", "p4", "p5"];

// ---------------------------------------------------------------------------------------------
// The reference: each loss as a plain float64 function of its parameters, flattened in the
// problem's wrt order (row-major).

interface Reference {
  readonly theta: Float64Array;
  readonly loss: (theta: Float64Array) => number;
}

const softplus = (t: number) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));

function linearReference(p: ProblemData["p1"], term: (z: number, y: number) => number): Reference {
  const { rows: N, cols: d, data: X } = p.X;
  return {
    theta: Float64Array.from([...p.w, p.b]),
    loss(theta) {
      const b = theta[d]!;
      let total = 0;
      for (let i = 0; i < N; i++) {
        let z = b;
        for (let j = 0; j < d; j++) z += X[i * d + j]! * theta[j]!;
        total += term(z, p.y[i]!);
      }
      return total / N;
    },
  };
}

function reference(data: ProblemData, key: ProblemKey): Reference {
  switch (key) {
    case "p1":
      return linearReference(data.p1, (z, y) => (z - y) ** 2);
    case "p2":
      return linearReference(data.p2, (z, y) => softplus(-y * z));
    case "p4":
      return linearReference(data.p4, (z, y) => (y - Math.max(0, z)) ** 2);
    case "p3": {
      const { W1, b1, W2, b2, X, Y } = data.p3;
      const [N, d, h, c] = [X.rows, X.cols, W1.rows, W2.rows];
      const [oW1, ob1, oW2, ob2] = [0, h * d, h * d + h, h * d + h + c * h];
      const H = new Float64Array(h);
      return {
        theta: Float64Array.from([...W1.data, ...b1, ...W2.data, ...b2]),
        loss(theta) {
          let total = 0;
          for (let i = 0; i < N; i++) {
            for (let k = 0; k < h; k++) {
              let z = theta[ob1 + k]!;
              for (let j = 0; j < d; j++) z += X.data[i * d + j]! * theta[oW1 + k * d + j]!;
              H[k] = Math.max(0, z);
            }
            for (let m = 0; m < c; m++) {
              let out = theta[ob2 + m]!;
              for (let k = 0; k < h; k++) out += H[k]! * theta[oW2 + m * h + k]!;
              total += (out - Y.data[i * c + m]!) ** 2;
            }
          }
          return total / (N * c);
        },
      };
    }
    case "p5": {
      const { W, X, T } = data.p5;
      const [N, d, c] = [X.rows, X.cols, W.rows];
      const Z = new Float64Array(c);
      return {
        theta: Float64Array.from(W.data),
        loss(theta) {
          let total = 0;
          for (let i = 0; i < N; i++) {
            let max = -Infinity;
            for (let k = 0; k < c; k++) {
              let z = 0;
              for (let j = 0; j < d; j++) z += X.data[i * d + j]! * theta[k * d + j]!;
              Z[k] = z;
              max = Math.max(max, z);
            }
            let sum = 0;
            let picked = 0;
            for (let k = 0; k < c; k++) {
              sum += Math.exp(Z[k]! - max);
              picked += T.data[i * c + k]! * Z[k]!;
            }
            total += max + Math.log(sum) - picked;
          }
          return total / N;
        },
      };
    }
  }
}

/** The loss and its central-difference gradient at the problem's parameters. */
function finiteDifferences({ theta, loss }: Reference): { value: number; grad: Float64Array } {
  const x = Float64Array.from(theta);
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i]!;
    // Small enough not to cross a ReLU kink in P3/P4 at these sizes (the medium MLP has a
    // pre-activation of 1.3e-6, which a step of 1e-5 crosses), large enough for float64 roundoff.
    const step = 1e-7 * Math.max(1, Math.abs(xi));
    x[i] = xi + step;
    const up = loss(x);
    x[i] = xi - step;
    const down = loss(x);
    x[i] = xi;
    grad[i] = (up - down) / (2 * step);
  }
  return { value: loss(x), grad };
}

// ---------------------------------------------------------------------------------------------

interface Row {
  peer: string;
  problem: string;
  size: string;
  valueError: string;
  gradError: string;
  status: string;
  meanUs: string;
  bestUs: string;
  runs: string;
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toExponential(1) : String(x));

/**
 * Mean time of one run() after warm-up, over up to 200 runs (fewer where 200 would take more than
 * `budgetMs`), in 10 batches; also the fastest batch's mean, which suffers less when the machine
 * is busy with other work.
 */
function time(run: () => void, budgetMs: number): { meanUs: number; bestUs: number; runs: number } {
  // Warm-up: the first call compiles (jax-js jit) and V8 optimizes the library's code.
  let start = performance.now();
  let warm = 0;
  while (warm < 5 || (performance.now() - start < 1000 && warm < 200)) {
    run();
    warm++;
  }
  const perRun = (performance.now() - start) / warm;
  const batches = 10;
  const perBatch = Math.max(1, Math.min(20, Math.floor(budgetMs / perRun / batches)));
  let total = 0;
  let best = Infinity;
  for (let b = 0; b < batches; b++) {
    start = performance.now();
    for (let i = 0; i < perBatch; i++) run();
    const elapsed = performance.now() - start;
    total += elapsed;
    best = Math.min(best, elapsed / perBatch);
  }
  const runs = batches * perBatch;
  return { meanUs: (total / runs) * 1000, bestUs: best * 1000, runs };
}

/** Live tfjs tensors (the same module instance as peers.ts loads), to see that run() frees its own. */
async function tfjsTensors(): Promise<() => number> {
  try {
    const name = "@tensorflow/tfjs-core";
    const tf = (await import(name)) as { memory(): { numTensors: number } };
    return () => tf.memory().numTensors;
  } catch {
    return () => NaN;
  }
}

const { peers, unavailable } = await loadPeers();
const tensors = await tfjsTensors();
console.log(
  `Node ${process.version}, ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}`,
);
for (const peer of peers)
  console.log(`peer: ${peer.name} ${peer.version}${peer.note ? ` (${peer.note})` : ""}`);
for (const u of unavailable) console.log(`unavailable: ${u.name}: ${u.reason}`);

const rows: Row[] = [];
let failures = 0;
for (const size of sizes) {
  const data = problemData(size);
  const checked = size.name !== "large";
  const references = new Map<ProblemKey, { value: number; grad: Float64Array }>();
  for (const key of keys) {
    const ref = reference(data, key);
    references.set(
      key,
      checked ? finiteDifferences(ref) : { value: ref.loss(ref.theta), grad: new Float64Array() },
    );
  }
  for (const peer of peers) {
    const problems = await peer.problems(data);
    const tolerance = /float64/.test(peer.name) ? 1e-5 : 1e-3;
    for (const key of keys) {
      const problem = problems[key];
      const row: Row = {
        peer: peer.name,
        problem: key.toUpperCase(),
        size: size.name,
        valueError: "",
        gradError: "",
        status: "",
        meanUs: "",
        bestUs: "",
        runs: "",
      };
      rows.push(row);
      if (!problem) {
        row.status = "n/a";
        continue;
      }
      try {
        const ref = references.get(key)!;
        const out = await problem.result();
        const valueError = Math.abs(out.value - ref.value) / Math.abs(ref.value);
        row.valueError = fmt(valueError);
        let ok = valueError <= tolerance;
        if (checked) {
          if (out.grad.length !== ref.grad.length)
            throw new Error(`gradient has ${out.grad.length} entries, expected ${ref.grad.length}`);
          let scale = 0;
          let worst = 0;
          for (let i = 0; i < ref.grad.length; i++) {
            scale = Math.max(scale, Math.abs(ref.grad[i]!));
            worst = Math.max(worst, Math.abs(out.grad[i]! - ref.grad[i]!));
          }
          const gradError = worst / scale;
          row.gradError = fmt(gradError);
          ok &&= gradError <= tolerance; // NaN fails too
        } else {
          row.gradError = "—";
        }
        const before = tensors();
        const { meanUs, bestUs, runs } = time(() => problem.run(), size.name === "large" ? 20_000 : 10_000);
        const after = tensors();
        if (after > before) {
          ok = false;
          row.status = `leaks ${after - before} tensors; `;
        }
        const us = (t: number) => (t < 100 ? t.toFixed(1) : t.toFixed(0));
        row.meanUs = us(meanUs);
        row.bestUs = us(bestUs);
        row.runs = String(runs);
        row.status += ok ? "ok" : `FAIL (tolerance ${tolerance})`;
        if (!ok) failures++;
      } catch (error) {
        row.status = `ERROR ${error instanceof Error ? error.message : String(error)}`;
        failures++;
      }
      console.error(`${row.peer} ${row.problem} ${row.size}: ${row.status} ${row.meanUs} µs`);
    }
    for (const key of keys) problems[key]?.dispose?.();
  }
}

const header: Row = {
  peer: "peer",
  problem: "problem",
  size: "size",
  valueError: "value rel err",
  gradError: "grad max rel err",
  status: "check",
  meanUs: "mean µs",
  bestUs: "best batch µs",
  runs: "runs",
};
const columns = Object.keys(header) as (keyof Row)[];
const widths = columns.map((c) => Math.max(...[header, ...rows].map((r) => r[c].length)));
const line = (r: Row) => "| " + columns.map((c, i) => r[c].padEnd(widths[i]!)).join(" | ") + " |";
console.log(line(header));
console.log("| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |");
for (const r of rows) console.log(line(r));
console.log(failures === 0 ? "all peers agree with finite differences" : `${failures} failure(s)`);
process.exitCode = failures === 0 ? 0 : 1;
