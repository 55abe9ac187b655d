// The peers gradc's benchmark compares against: the same five problems (bench/problems.ts)
// written in TensorFlow.js and in jax-js, the way a user of each library would write them.
//
// The libraries live in bench/package.json, not in gradc's own: `npm install --prefix bench`
// first. They are loaded with import() at run time, and typed below by the few parts of their
// API used here, so that gradc's typecheck (which includes bench/) passes without them.
//
// Each problem converts its inputs to the library's arrays once; run() then computes one value
// and gradient and reads every output back, which forces the computation to finish (tfjs' CPU
// kernels run eagerly; jax-js is lazy until dataSync()).

import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Matrix } from "../runtime/index.js";
import type { ProblemData } from "./problems.js";

export interface PeerProblem {
  /** Runs one value-and-gradient on inputs converted once beforehand; must force the computation to finish (e.g. dataSync / blockUntilReady) so timing is honest. */
  run(): void;
  /** Runs once and returns the loss and every gradient entry flattened (row-major, in the problem's wrt order) as numbers, for checking against gradc. */
  result(): Promise<{ value: number; grad: number[] }> | { value: number; grad: number[] };
  dispose?(): void;
}

export type ProblemKey = "p1" | "p2" | "p3" | "p4" | "p5";

export interface Peer {
  name: string;
  version: string;
  note?: string;
  problems(data: ProblemData): Promise<Record<ProblemKey, PeerProblem | undefined>>;
}

/** Every peer that loads, and for each one that does not, why. */
export async function loadPeers(): Promise<{
  peers: Peer[];
  unavailable: { name: string; reason: string }[];
}> {
  const peers: Peer[] = [];
  const unavailable: { name: string; reason: string }[] = [];
  const attempts: [string, () => Promise<Peer>][] = [
    ["TensorFlow.js", loadTfjs],
    ["jax-js", () => loadJax("float32")],
    ["jax-js float64", () => loadJax("float64")],
  ];
  for (const [name, load] of attempts) {
    try {
      peers.push(await load());
    } catch (error) {
      unavailable.push({
        name,
        reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  return { peers, unavailable };
}

/** The version of an installed package, from its package.json. */
function installedVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === name && manifest.version !== undefined) return manifest.version;
    } catch {
      // no package.json here: go up
    }
    const parent = dirname(dir);
    if (parent === dir) return "unknown";
    dir = parent;
  }
}

/** import() by a computed name, so that TypeScript does not need the package to be installed. */
async function load<T>(name: string): Promise<T> {
  return (await import(name)) as T;
}

// ---------------------------------------------------------------------------------------------
// TensorFlow.js with its pure-JS CPU backend (@tensorflow/tfjs-backend-cpu), not tfjs-node.
// The CPU backend stores float32 only: tfjs has no float64 dtype.

interface TfTensor {
  readonly shape: number[];
  dataSync(): ArrayLike<number>;
  dispose(): void;
}

type TfBinary = (a: TfTensor, b: TfTensor) => TfTensor;
type TfUnary = (x: TfTensor) => TfTensor;

interface Tf {
  readonly version_core: string;
  setBackend(name: string): Promise<boolean>;
  ready(): Promise<void>;
  getBackend(): string;
  tensor(values: Float32Array, shape: number[]): TfTensor;
  scalar(value: number): TfTensor;
  tidy(fn: () => void): void;
  valueAndGrads(
    f: (...args: TfTensor[]) => TfTensor,
  ): (args: TfTensor[]) => { value: TfTensor; grads: TfTensor[] };
  matMul(a: TfTensor, b: TfTensor, transposeA?: boolean, transposeB?: boolean): TfTensor;
  add: TfBinary;
  sub: TfBinary;
  mul: TfBinary;
  neg: TfUnary;
  square: TfUnary;
  relu: TfUnary;
  softplus: TfUnary;
  mean: TfUnary;
  sum(x: TfTensor, axis: number): TfTensor;
  logSumExp(x: TfTensor, axis: number): TfTensor;
}

async function loadTfjs(): Promise<Peer> {
  // The Node build of @tensorflow/tfjs-core (dist/tf-core.node.js) registers no gradients
  // ("gradient function not found for Mean"); tfjs-core/dist/register_all_gradients.js, meant for
  // custom bundles, uses extensionless and directory imports that Node cannot load. The Node build
  // of @tensorflow/tfjs (dist/tf.node.js; core, layers and the cpu and webgl backends, all pure
  // JS) registers them, so the namespace is tfjs', over the tfjs-core and tfjs-backend-cpu listed
  // in bench/package.json.
  const tf = await load<Tf>("@tensorflow/tfjs");
  if (!(await tf.setBackend("cpu"))) throw new Error('tf.setBackend("cpu") failed');
  await tf.ready();
  if (tf.getBackend() !== "cpu") throw new Error(`tfjs backend is ${tf.getBackend()}, not cpu`);

  const vector = (v: Float64Array) => tf.tensor(Float32Array.from(v), [v.length]);
  const column = (v: Float64Array) => tf.tensor(Float32Array.from(v), [v.length, 1]);
  const mat = (m: Matrix) => tf.tensor(Float32Array.from(m.data), [m.rows, m.cols]);

  /** One value-and-gradient problem: `loss` of `params`, the data closed over. */
  const problem = (
    params: TfTensor[],
    data: TfTensor[],
    loss: (...params: TfTensor[]) => TfTensor,
  ): PeerProblem => {
    const valueAndGrads = tf.valueAndGrads(loss);
    return {
      run() {
        tf.tidy(() => {
          const { value, grads } = valueAndGrads(params);
          value.dataSync();
          for (const g of grads) g.dataSync();
        });
      },
      result() {
        let out = { value: NaN, grad: [] as number[] };
        tf.tidy(() => {
          const { value, grads } = valueAndGrads(params);
          out = { value: value.dataSync()[0]!, grad: grads.flatMap((g) => Array.from(g.dataSync())) };
        });
        return out;
      },
      dispose() {
        for (const t of [...params, ...data]) t.dispose();
      },
    };
  };

  return {
    name: "TensorFlow.js",
    version: `tfjs ${installedVersion("@tensorflow/tfjs")} (tfjs-core ${tf.version_core}, tfjs-backend-cpu ${installedVersion("@tensorflow/tfjs-backend-cpu")})`,
    note: "pure-JS cpu backend, float32 (tfjs has no float64)",
    async problems(d) {
      // P1–P4 keep w and y as columns (N × 1), as tf.matMul wants matrices.
      const linear = (
        p: ProblemData["p1"],
        loss: (X: TfTensor, y: TfTensor) => (w: TfTensor, b: TfTensor) => TfTensor,
      ) => {
        const X = mat(p.X);
        const y = column(p.y);
        return problem([column(p.w), tf.scalar(p.b)], [X, y], loss(X, y));
      };
      const p1 = linear(d.p1, (X, y) => (w, b) => tf.mean(tf.square(tf.sub(tf.add(tf.matMul(X, w), b), y))));
      const p2 = linear(
        d.p2,
        (X, y) => (w, b) => tf.mean(tf.softplus(tf.neg(tf.mul(y, tf.add(tf.matMul(X, w), b))))),
      );
      const p4 = linear(
        d.p4,
        (X, y) => (w, b) => tf.mean(tf.square(tf.sub(y, tf.relu(tf.add(tf.matMul(X, w), b))))),
      );

      const X3 = mat(d.p3.X);
      const Y3 = mat(d.p3.Y);
      const p3 = problem(
        [mat(d.p3.W1), vector(d.p3.b1), mat(d.p3.W2), vector(d.p3.b2)],
        [X3, Y3],
        (W1, b1, W2, b2) => {
          const H = tf.relu(tf.add(tf.matMul(X3, W1!, false, true), b1!));
          const out = tf.add(tf.matMul(H, W2!, false, true), b2!);
          return tf.mean(tf.square(tf.sub(out, Y3)));
        },
      );

      const X5 = mat(d.p5.X);
      const T5 = mat(d.p5.T);
      const p5 = problem([mat(d.p5.W)], [X5, T5], (W) => {
        const Z = tf.matMul(X5, W!, false, true);
        return tf.mean(tf.sub(tf.logSumExp(Z, 1), tf.sum(tf.mul(T5, Z), 1)));
      });
      return { p1, p2, p3, p4, p5 };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// jax-js: jit(valueAndGrad(f)) on the wasm backend, the fastest that runs on Node (WebGPU and
// WebGL need a browser or Deno). Arrays are reference-counted: a function consumes its
// arguments, so run() passes `.ref`s of the inputs, and dataSync() consumes the outputs.

interface JaxArray {
  readonly ref: JaxArray;
  readonly refCount: number;
  readonly dtype: string;
  dataSync(): ArrayLike<number>;
  dispose(): void;
  add(other: JaxArray | number): JaxArray;
  sub(other: JaxArray | number): JaxArray;
  mul(other: JaxArray | number): JaxArray;
  neg(): JaxArray;
  transpose(perm?: number[]): JaxArray;
}

type JaxTree = JaxArray | JaxTree[] | { [key: string]: JaxTree };
type JaxFn = (...args: never[]) => JaxArray;

interface Jax {
  init(...devices: string[]): Promise<string[]>;
  defaultDevice(device?: string): string;
  jit<F extends (...args: never[]) => unknown>(f: F): F & { dispose(): void };
  valueAndGrad(f: JaxFn, opts?: { argnums?: number | number[] }): (...args: JaxTree[]) => [JaxArray, JaxTree];
  tree: {
    leaves(tree: JaxTree): JaxArray[];
    ref<T extends JaxTree>(tree: T): T;
    dispose(tree: JaxTree): void;
  };
  numpy: {
    float32: string;
    float64: string;
    array(values: Float32Array | Float64Array, opts?: { shape?: number[] }): JaxArray;
    matmul(a: JaxArray, b: JaxArray): JaxArray;
    square(x: JaxArray): JaxArray;
    mean(x: JaxArray, axis?: number): JaxArray;
    sum(x: JaxArray, axis?: number): JaxArray;
  };
  nn: {
    relu(x: JaxArray): JaxArray;
    softplus(x: JaxArray): JaxArray;
    logsumexp(x: JaxArray, axis?: number): JaxArray;
  };
}

/**
 * jax-js 0.1.x's np.array() tests `data instanceof Float16Array`, a global that Node 20 lacks
 * (it came in Node 24), after its Float32Array case: a Float64Array throws "ReferenceError:
 * Float16Array is not defined". A stand-in class while the float64 inputs are made lets the
 * check fall through to Float64Array; nothing else needs it.
 */
function withFloat16ArrayStandIn<T>(make: () => T): T {
  const global = globalThis as { Float16Array?: unknown };
  if (global.Float16Array !== undefined) return make();
  global.Float16Array = class Float16ArrayStandIn {};
  try {
    return make();
  } finally {
    delete global.Float16Array;
  }
}

async function loadJax(dtype: "float32" | "float64"): Promise<Peer> {
  const jax = await load<Jax>("@jax-js/jax");
  const { numpy: np, nn } = jax;
  // init() with no argument also starts WebGPU, which throws "navigator is not defined" on
  // Node 20: ask for the Wasm backend alone.
  const devices = await jax.init("wasm");
  if (!devices.includes("wasm")) throw new Error(`jax-js init("wasm") started ${JSON.stringify(devices)}`);
  jax.defaultDevice("wasm");

  const array = (values: Float64Array, shape: number[]): JaxArray =>
    dtype === "float32"
      ? np.array(Float32Array.from(values), { shape })
      : withFloat16ArrayStandIn(() => np.array(Float64Array.from(values), { shape }));
  const vector = (v: Float64Array) => array(v, [v.length]);
  const scalar = (x: number) => array(Float64Array.of(x), []);
  const mat = (m: Matrix) => array(m.data, [m.rows, m.cols]);

  /** One value-and-gradient problem: jit(valueAndGrad(loss, { argnums })) applied to `args`. */
  const problem = (loss: JaxFn, argnums: number | number[], args: JaxTree[]): PeerProblem => {
    const valueAndGrad = jax.jit(jax.valueAndGrad(loss, { argnums }));
    const call = () => valueAndGrad(...args.map((a) => jax.tree.ref(a)));
    return {
      run() {
        const [value, grad] = call();
        value.dataSync();
        for (const g of jax.tree.leaves(grad)) g.dataSync();
      },
      result() {
        const [value, grad] = call();
        const out = {
          value: value.dataSync()[0]!,
          grad: jax.tree.leaves(grad).flatMap((g) => Array.from(g.dataSync())),
        };
        const leaked = jax.tree.leaves(args).filter((a) => a.refCount !== 1);
        if (leaked.length > 0)
          throw new Error(`jax-js: ${leaked.length} input(s) with refCount ≠ 1 after a call`);
        return out;
      },
      dispose() {
        jax.tree.dispose(args);
        valueAndGrad.dispose();
      },
    };
  };

  const version = installedVersion("@jax-js/jax");
  const threads =
    typeof (globalThis as { Worker?: unknown }).Worker === "undefined"
      ? "single-threaded (no global Worker in Node)"
      : "multi-threaded";
  return {
    name: dtype === "float32" ? "jax-js" : "jax-js float64",
    version,
    note:
      dtype === "float32"
        ? `wasm backend, ${threads}, float32 (the library's default)`
        : `wasm backend, ${threads}, float64 (exp and log only about float32-accurate); inputs made with a Float16Array stand-in on Node < 24`,
    async problems(d) {
      const linear = (
        p: ProblemData["p1"],
        loss: (w: JaxArray, b: JaxArray, X: JaxArray, y: JaxArray) => JaxArray,
      ) => problem(loss as JaxFn, [0, 1], [vector(p.w), scalar(p.b), mat(p.X), vector(p.y)]);

      const p1 = linear(d.p1, (w, b, X, y) => np.mean(np.square(np.matmul(X, w).add(b).sub(y))));
      const p2 = linear(d.p2, (w, b, X, y) => np.mean(nn.softplus(y.neg().mul(np.matmul(X, w).add(b)))));
      const p4 = linear(d.p4, (w, b, X, y) => np.mean(np.square(y.sub(nn.relu(np.matmul(X, w).add(b))))));

      const mlp = (W1: JaxArray, b1: JaxArray, W2: JaxArray, b2: JaxArray, X: JaxArray, Y: JaxArray) => {
        const H = nn.relu(np.matmul(X, W1.transpose()).add(b1));
        const out = np.matmul(H, W2.transpose()).add(b2);
        return np.mean(np.square(out.sub(Y)));
      };
      const p3 = problem(
        mlp as JaxFn,
        [0, 1, 2, 3],
        [mat(d.p3.W1), vector(d.p3.b1), mat(d.p3.W2), vector(d.p3.b2), mat(d.p3.X), mat(d.p3.Y)],
      );

      const softmax = (W: JaxArray, X: JaxArray, T: JaxArray) => {
        const Z = np.matmul(X, W.transpose());
        return np.mean(nn.logsumexp(Z.ref, 1).sub(np.sum(T.mul(Z), 1)));
      };
      const p5 = problem(softmax as JaxFn, 0, [mat(d.p5.W), mat(d.p5.X), mat(d.p5.T)]);
      return { p1, p2, p3, p4, p5 };
    },
  };
}
