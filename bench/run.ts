// `npm run bench`: the five problems of bench/problems.ts at three sizes — gradc's generated
// gradient (with and without a workspace, with and without argument checks) and value, against
// tuned hand-written float64 code (bench/baselines.ts) and the peers TensorFlow.js and jax-js
// (bench/peers.ts, installed into bench/node_modules). Every contender is checked against
// gradc's gradient before anything is timed. Results go in bench/README.md.
//
//   npm run bench                  all sizes
//   npm run bench -- --size medium one size (small, medium or large)
//   npm run bench -- --no-peers    gradc and the baselines only

import { cpus } from "node:os";
import { Bench } from "tinybench";
import { matrix, Workspace, type Matrix } from "../runtime/index.js";
import { baselines } from "./baselines.js";
import { loadPeers, type Peer, type ProblemKey } from "./peers.js";
import { problemData, sizes, type ProblemData, type Sizes } from "./problems.js";
import * as checked from "./problems.grad.js";

// The same problems compiled with --no-checks (`npm run bench` writes it first).
const uncheckedPath = "./.generated/problems.nochecks.grad.js";
const unchecked = (await import(uncheckedPath)) as typeof checked;

type Flat = { value: number; grad: number[] };
type Gradient = { value: number; grad: Record<string, number | Float64Array | Matrix> };

const keys: readonly ProblemKey[] = ["p1", "p2", "p3", "p4", "p5"];
const titles: Record<ProblemKey, string> = {
  p1: "P1 least squares",
  p2: "P2 logistic",
  p3: "P3 two-layer MLP",
  p4: "P4 neuron",
  p5: "P5 softmax x-entropy",
};

/** The gradient's entries in parameter order, flattened row-major. */
function flat(result: Gradient): Flat {
  const grad = Object.values(result.grad).flatMap((g) =>
    typeof g === "number" ? [g] : Array.from(g instanceof Float64Array ? g : g.data),
  );
  return { value: result.value, grad };
}

/** Largest error relative to the reference's scale, value and gradient together. */
function disagreement(a: Flat, reference: Flat): number {
  const scale = Math.max(...reference.grad.map(Math.abs), 1e-300);
  const gradError = Math.max(...a.grad.map((g, k) => Math.abs(g - reference.grad[k]!) / scale));
  return Math.max(
    gradError,
    Math.abs(a.value - reference.value) / Math.max(Math.abs(reference.value), 1e-300),
  );
}

/** One problem's generated functions and arguments, so each contender is one closure. */
function generated(m: typeof checked, key: ProblemKey, data: ProblemData) {
  switch (key) {
    case "p1": {
      const { w, b, X, y } = data.p1;
      return {
        grad: (ws?: Workspace) => m.leastSquaresGrad(w, b, X, y, ws),
        value: (ws?: Workspace) => m.leastSquares(w, b, X, y, ws),
      };
    }
    case "p2": {
      const { w, b, X, y } = data.p2;
      const v = { w: w.map((x) => -x), b: 0.5 };
      return {
        grad: (ws?: Workspace) => m.logisticGrad(w, b, X, y, ws),
        value: (ws?: Workspace) => m.logistic(w, b, X, y, ws),
        hvp: () => m.logisticHvp(w, b, X, y, v),
        hessian: () => m.logisticHessian(w, b, X, y),
        parameters: w.length + 1,
      };
    }
    case "p3": {
      const { W1, b1, W2, b2, X, Y } = data.p3;
      const scaled = (a: Matrix) =>
        matrix(
          a.rows,
          a.cols,
          a.data.map((x) => 0.5 * x),
        );
      const v = { W1: scaled(W1), b1: b1.map((x) => -x), W2: scaled(W2), b2: b2.map((x) => 2 * x) };
      return {
        grad: (ws?: Workspace) => m.mlpGrad(W1, b1, W2, b2, X, Y, ws),
        value: (ws?: Workspace) => m.mlp(W1, b1, W2, b2, X, Y, ws),
        hvp: () => m.mlpHvp(W1, b1, W2, b2, X, Y, v),
      };
    }
    case "p4": {
      const { w, b, X, y } = data.p4;
      return {
        grad: (ws?: Workspace) => m.neuronGrad(w, b, X, y, ws),
        value: (ws?: Workspace) => m.neuron(w, b, X, y, ws),
      };
    }
    case "p5": {
      const { W, X, T } = data.p5;
      return {
        grad: (ws?: Workspace) => m.softmaxCrossEntropyGrad(W, X, T, ws),
        value: (ws?: Workspace) => m.softmaxCrossEntropy(W, X, T, ws),
      };
    }
  }
}

function handWritten(key: ProblemKey, data: ProblemData, s: Sizes) {
  const b = baselines(s);
  switch (key) {
    case "p1":
    case "p2":
    case "p4": {
      const { w, b: bias, X, y } = data[key];
      return { grad: () => b[key].grad(w, bias, X, y), value: () => b[key].value(w, bias, X, y) };
    }
    case "p3": {
      const { W1, b1, W2, b2, X, Y } = data.p3;
      return { grad: () => b.p3.grad(W1, b1, W2, b2, X, Y), value: () => b.p3.value(W1, b1, W2, b2, X, Y) };
    }
    case "p5": {
      const { W, X, T } = data.p5;
      return { grad: () => b.p5.grad(W, X, T), value: () => b.p5.value(W, X, T) };
    }
  }
}

/**
 * Bytes of Float64Arrays made per call: the global constructor is swapped for a proxy that
 * counts while `fn` runs (generated code and the runtime make their arrays with
 * `new Float64Array`).
 */
function arrayBytesPerCall(fn: () => unknown, calls = 20): number {
  const Original = globalThis.Float64Array;
  let bytes = 0;
  // A proxy, not a subclass: `instanceof Float64Array` still holds for every array.
  const Counting = new Proxy(Original, {
    construct(target, args) {
      const array = Reflect.construct(target, args) as Float64Array;
      bytes += array.byteLength;
      return array;
    },
  });
  fn(); // first call: buffers made once
  globalThis.Float64Array = Counting;
  try {
    for (let k = 0; k < calls; k++) fn();
  } finally {
    globalThis.Float64Array = Original;
  }
  return bytes / calls;
}

/** Mean time per call in µs, by tinybench (at least 5 calls and `ms` milliseconds). */
async function time(tasks: Record<string, () => unknown>, ms: number): Promise<Record<string, number>> {
  const bench = new Bench({ time: ms, iterations: 5, warmupTime: Math.min(ms, 200), warmupIterations: 3 });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const result: Record<string, number> = {};
  for (const task of bench.tasks) {
    const r = task.result as { latency?: { mean: number } } | undefined;
    result[task.name] = (r?.latency?.mean ?? NaN) * 1000;
  }
  return result;
}

const format = (us: number) =>
  !Number.isFinite(us)
    ? "—"
    : us >= 1000
      ? `${(us / 1000).toFixed(us >= 10000 ? 0 : 1)} ms`
      : `${us.toPrecision(3)} µs`;
const ratio = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) ? `${(a / b).toFixed(2)}×` : "—";

const args = process.argv.slice(2);
const only = args.includes("--size") ? args[args.indexOf("--size") + 1] : undefined;
const withPeers = !args.includes("--no-peers");
const { peers, unavailable } = withPeers ? await loadPeers() : { peers: [] as Peer[], unavailable: [] };

console.log(
  `# gradc benchmark — Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${new Date().toISOString().slice(0, 10)}`,
);
for (const u of unavailable) console.log(`(${u.name} unavailable: ${u.reason})`);

for (const s of sizes.filter((x) => only === undefined || x.name === only)) {
  const data = problemData(s);
  const peerProblems = await Promise.all(peers.map((p) => p.problems(data)));
  const ms = s.name === "large" ? 800 : 400;
  const rows: string[] = [];
  const extras: string[] = [];
  for (const key of keys) {
    const g = generated(checked, key, data);
    const noChecks = generated(unchecked, key, data);
    const hand = handWritten(key, data, s);
    const workspace = new Workspace();
    // Everyone must agree before anything is timed.
    const reference = flat(g.grad());
    const agree = (name: string, got: Flat, tolerance: number) => {
      const error = disagreement(got, reference);
      if (!(error <= tolerance))
        throw new Error(`${s.name} ${key}: ${name} disagrees with gradc (${error.toExponential(2)})`);
    };
    agree("gradc with a workspace", flat(g.grad(workspace)), 0);
    agree("gradc --no-checks", flat(noChecks.grad()), 0);
    agree("hand-written", flat(hand.grad()), 1e-9);
    if (Math.abs(hand.value() - reference.value) > 1e-12 * Math.abs(reference.value))
      throw new Error(`${key}: value`);
    for (const [k, peer] of peers.entries()) {
      const problem = peerProblems[k]![key];
      if (problem !== undefined)
        agree(peer.name, await problem.result(), peer.name.includes("float64") ? 1e-4 : 1e-3);
    }

    const tasks: Record<string, () => unknown> = {
      grad: () => g.grad(),
      gradWorkspace: () => g.grad(workspace),
      gradNoChecks: () => noChecks.grad(workspace),
      value: () => g.value(workspace),
      hand: hand.grad,
      handValue: hand.value,
    };
    for (const [k, peer] of peers.entries()) {
      const problem = peerProblems[k]![key];
      if (problem !== undefined) tasks[peer.name] = () => problem.run();
    }
    const extra = "hvp" in g ? g : undefined;
    if (extra?.hvp !== undefined) tasks.hvp = extra.hvp;
    if (extra !== undefined && "hessian" in extra && s.name !== "large") tasks.hessian = extra.hessian;
    const t = await time(tasks, ms);

    const peerCells = peers.map((p) => `${format(t[p.name]!)} (${ratio(t[p.name]!, t.gradWorkspace!)})`);
    rows.push(
      `| ${titles[key]} | ${format(t.grad!)} | ${format(t.gradWorkspace!)} | ${format(t.hand!)} | ` +
        `**${ratio(t.gradWorkspace!, t.hand!)}** | ${ratio(t.gradWorkspace!, t.value!)} | ` +
        `${ratio(t.gradWorkspace!, t.gradNoChecks!)} | ${peerCells.join(" | ")} |`,
    );
    const bytes = [arrayBytesPerCall(() => g.grad()), arrayBytesPerCall(() => g.grad(workspace))];
    extras.push(
      `${titles[key]}: value ${format(t.value!)} (hand-written ${format(t.handValue!)}); ` +
        `Float64Array bytes per fGrad call ${bytes[0]!.toFixed(0)} without a workspace, ${bytes[1]!.toFixed(0)} with` +
        (t.hvp !== undefined ? `; fHvp ${format(t.hvp)} = ${ratio(t.hvp, t.grad!)} fGrad` : "") +
        (t.hessian !== undefined && "parameters" in g
          ? `; fHessian ${format(t.hessian)} = ${ratio(t.hessian, (g.parameters as number) * t.grad!)} of n × fGrad (n = ${g.parameters})`
          : ""),
    );
  }
  console.log(`\n## ${s.name}: N = ${s.N}, d = ${s.d}, hidden = ${s.hidden}, c = ${s.c}\n`);
  console.log(
    `| problem | fGrad | fGrad, workspace | hand-written | ratio | grad ÷ value | checks cost | ${peers.map((p) => `${p.name} (÷ gradc)`).join(" | ")} |`,
  );
  console.log(`| --- | ---: | ---: | ---: | ---: | ---: | ---: |${peers.map(() => " ---: |").join("")}`);
  for (const row of rows) console.log(row);
  console.log("");
  for (const line of extras) console.log(`- ${line}`);
  for (const problems of peerProblems) for (const p of Object.values(problems)) p?.dispose?.();
}
