// Checks a compiled random program (test/support/random-programs.ts) in every
// mode, against its reference evaluator, central finite differences and the
// other modes:
//
// - the value of `f` against the reference, and the same value from every export;
// - the gradient against finite differences of `f`; the Jacobian (`fJacobian`)
//   against finite differences, against forward sweeps (`fJvp` along unit
//   directions) and against reverse sweeps (`fBackward` with unit seeds);
// - ⟨u, J v⟩ from `fJvp` against ⟨Jᵀu, v⟩ from `fBackward` for random u, v;
// - the Hessian: symmetric, against finite differences of `fGrad`, and
//   `fHvp` along a random direction equal to H·d;
// - zero directions and seeds give exactly zero derivatives;
// - at special points (exponents of exactly 0 and 1, zeros, singular matrices,
//   large arguments) where finite differences mean nothing, the modes must
//   still agree: a derivative one mode finds finite, every mode finds, equal.
//
// Programs are compiled many to a module (one compile for a batch), and a
// sample of modules is typechecked under the strict settings.

import { compile } from "../../compiler/index.js";
import { load, type GeneratedModule } from "./load.js";
import { random, uniform } from "./numeric.js";
import {
  entriesOf,
  params,
  randomProgram,
  sizes,
  type Mat,
  type Program,
  type Val,
} from "./random-programs.js";
import { typecheck } from "./typecheck.js";

export const allModes = ["grad", "vjp", "jvp", "jacobian", "hessian"] as const;

export interface Failure {
  readonly seed: number;
  readonly problem: string;
  readonly source: string;
}

export interface BatchReport {
  readonly failures: readonly Failure[];
  /** Programs whose derivatives were checked against finite differences at some point. */
  readonly checkedAgainstDifferences: number;
  readonly programs: number;
  /** Generated modules typechecked (strict settings), and tsc's complaints. */
  readonly typechecked: number;
  readonly typeErrors: string;
}

/** Compiles the programs of `seeds` as one module per `batchSize` and checks each. */
export async function checkPrograms(
  seeds: readonly number[],
  options: { batchSize?: number; typecheckEvery?: number } = {},
): Promise<BatchReport> {
  const batchSize = options.batchSize ?? 10;
  const typecheckEvery = options.typecheckEvery ?? 0;
  const failures: Failure[] = [];
  const sample: Record<string, string> = {};
  let checkedAgainstDifferences = 0;
  let batches = 0;
  for (let start = 0; start < seeds.length; start += batchSize) {
    const programs = seeds.slice(start, start + batchSize).map((seed) => randomProgram(seed));
    const source = programs.map((p) => p.source).join("\n");
    const m = await loadBatch(programs, failures);
    if (m === undefined) continue;
    if (typecheckEvery > 0 && batches % typecheckEvery === 0) {
      const checks = batches % (2 * typecheckEvery) === 0;
      // Unformatted: formatting changes no type (and is tested on its own).
      const { code } = await compile(source, {
        modes: [...allModes],
        checks,
        filename: "fuzz.grad",
        format: false,
      });
      if (code !== undefined) sample[`batch${batches}.grad.ts`] = code;
    }
    batches++;
    for (const program of programs) {
      try {
        const outcome = checkProgram(m, program);
        if (outcome.problem !== undefined)
          failures.push({ seed: program.seed, problem: outcome.problem, source: program.source });
        if (outcome.againstDifferences) checkedAgainstDifferences++;
      } catch (error) {
        failures.push({
          seed: program.seed,
          problem: `threw: ${(error as Error)?.stack ?? error}`,
          source: program.source,
        });
      }
    }
  }
  const typeErrors = Object.keys(sample).length > 0 ? typecheck(sample) : "";
  return {
    failures,
    checkedAgainstDifferences,
    programs: seeds.length,
    typechecked: Object.keys(sample).length,
    typeErrors,
  };
}

/** One module for the batch; on a compile error, each program alone, to name the culprit. */
async function loadBatch(
  programs: readonly Program[],
  failures: Failure[],
): Promise<GeneratedModule | undefined> {
  const source = programs.map((p) => p.source).join("\n");
  try {
    // Unformatted: the same program, compiled in a tenth of the time (formatting is tested elsewhere).
    return await load(source, { modes: [...allModes], filename: "fuzz.grad", format: false });
  } catch {
    for (const p of programs) {
      const { diagnostics, code } = await compile(p.source, { modes: [...allModes], filename: "fuzz.grad" });
      const errors = diagnostics.filter((d) => d.severity === "error");
      if (code === undefined || errors.length > 0) {
        const described = errors.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`).join("; ");
        failures.push({ seed: p.seed, problem: `does not compile: ${described}`, source: p.source });
      } else {
        try {
          await load(p.source, { modes: [...allModes], filename: "fuzz.grad" });
        } catch (error) {
          failures.push({
            seed: p.seed,
            problem: `does not load: ${(error as Error)?.message ?? error}`,
            source: p.source,
          });
        }
      }
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Values: shapes, entries, comparisons

type Tensor = Val;

function like(v: Tensor, entries: ArrayLike<number>): Tensor {
  if (typeof v === "number") return entries[0]!;
  if (v instanceof Float64Array) return Float64Array.from(entries);
  return { rows: v.rows, cols: v.cols, data: Float64Array.from(entries) };
}
const sizeOfParam = (k: number) => entriesOf(exampleArgs()[k]!).length;

function exampleArgs(): Tensor[] {
  return params.map((p) => zerosOf(p.type));
}
function zerosOf(type: Program["resultType"]): Tensor {
  if (type.kind === "S") return 0;
  const d = (x: "n" | "m" | 2) => (x === 2 ? 2 : sizes[x]);
  if (type.kind === "V") return new Float64Array(d(type.d));
  return { rows: d(type.r), cols: d(type.c), data: new Float64Array(d(type.r) * d(type.c)) };
}

/** Relative closeness with a floor of 1; two NaNs agree, and two equal infinities. */
function close(a: number, b: number, tol: number): boolean {
  if (Number.isNaN(a) && Number.isNaN(b)) return true;
  if (a === b) return true;
  return Math.abs(a - b) <= tol * Math.max(1, Math.abs(a), Math.abs(b));
}
/** Modes agree on a derivative: both finite and close, or both not finite. */
function agree(a: number, b: number, tol: number): boolean {
  if (Number.isFinite(a) !== Number.isFinite(b)) return false;
  return !Number.isFinite(a) || close(a, b, tol);
}
const finite = (xs: ArrayLike<number>) => Array.from(xs).every(Number.isFinite);
const show = (xs: ArrayLike<number>) => `[${Array.from(xs, (z) => Number(z.toPrecision(6))).join(", ")}]`;

// ---------------------------------------------------------------------------
// Points

/**
 * Magnitudes are compared only where every intermediate value stays below this: beyond it,
 * rounding in a determinant or an inverse of large entries exceeds any fixed tolerance (det of
 * a rank-one 2×2 matrix of entries near 1e5 comes out near 1e−6, not 0).
 */
const maxMagnitude = 1e3;

type PointKind = "random" | "exponents" | "zeros" | "singular" | "large";

function pointFor(kind: PointKind, rand: () => number): Tensor[] {
  const scalar = () => uniform(rand, -1.5, 1.5);
  const args = params.map((p) => {
    const z = zerosOf(p.type);
    return like(
      z,
      Array.from(entriesOf(z), () => scalar()),
    );
  });
  const set = (name: string, value: Tensor) => (args[params.findIndex((p) => p.name === name)] = value);
  switch (kind) {
    case "random":
      break;
    case "exponents":
      // y is an exponent in many programs (pow(·, y), (a²)^y): exactly 0 or 1, with x at 1.
      // (x = 0 would put atan2(x, x) or √(x²) on their non-differentiable points, where
      // the modes may legitimately differ; the zeros point covers x = 0.)
      set("y", rand() < 0.5 ? 0 : 1);
      set("x", 1);
      break;
    case "zeros":
      for (let k = 0; k < args.length; k++) args[k] = zerosOf(params[k]!.type);
      break;
    case "singular": {
      // Q with a repeated row, A with proportional rows, v a multiple of w.
      const n = sizes.n;
      const q = entriesOf(args[6]!) as Float64Array;
      for (let j = 0; j < n; j++) q[(n - 1) * n + j] = q[j]!;
      const a = entriesOf(args[5]!) as Float64Array;
      for (let j = 0; j < n; j++) a[n + j] = 2 * a[j]!;
      set(
        "w",
        Float64Array.from(entriesOf(args[2]!), (z) => -z),
      );
      break;
    }
    case "large":
      set("x", rand() < 0.5 ? 40 : -800);
      set("y", rand() < 0.5 ? -40 : 750);
      set(
        "v",
        Float64Array.from({ length: sizes.n }, (_, k) => [30, -30, 745][k % 3]!),
      );
      break;
  }
  return args;
}
const specialKinds: readonly PointKind[] = ["exponents", "zeros", "singular", "large"];

// ---------------------------------------------------------------------------
// One program

interface Outcome {
  readonly problem: string | undefined;
  readonly againstDifferences: boolean;
}

/**
 * `consistency` at a point; a derivative of inv or logdet may throw SingularMatrixError
 * (as documented) where the value is not finite, and such a point is skipped.
 */
function consistencyAt(
  m: GeneratedModule,
  program: Program,
  args: Tensor[],
  rand: () => number,
  kind: PointKind,
) {
  try {
    return consistency(m, program, args, rand, kind);
  } catch (error) {
    const problem = `at the ${kind} point ${argsText(args)}: threw ${(error as Error)?.stack ?? error}`;
    if ((error as Error)?.name !== "SingularMatrixError") return problem;
    // inv of a singular (or NaN) matrix throws in the value too, by design.
    try {
      return finite(entriesOf(m[program.name](...args))) ? problem : undefined;
    } catch (again) {
      return (again as Error)?.name === "SingularMatrixError" ? undefined : problem;
    }
  }
}

/** Checks one program at random points and at one special point. */
export function checkProgram(m: GeneratedModule, program: Program): Outcome {
  const rand = random(program.seed * 7919 + 1);
  const scalar = program.resultType.kind === "S";
  let againstDifferences = false;
  // Random points until one is smooth enough for finite differences (a few tries).
  for (let attempt = 0; attempt < 4; attempt++) {
    const args = pointFor("random", rand);
    const problem = consistencyAt(m, program, args, rand, "random");
    if (problem !== undefined) return { problem, againstDifferences };
    const expected = program.evaluate(args);
    if (program.overflowed || program.largest > maxMagnitude || !finite(entriesOf(expected))) continue;
    const differences = againstFiniteDifferences(m, program, args, scalar);
    if (differences === "unstable") continue;
    if (differences !== undefined) return { problem: differences, againstDifferences };
    againstDifferences = true;
    break;
  }
  const kind = specialKinds[program.seed % specialKinds.length]!;
  const problem = consistencyAt(m, program, pointFor(kind, rand), rand, kind);
  return { problem, againstDifferences };
}

function argsText(args: readonly Tensor[]): string {
  return params.map((p, k) => `${p.name}=${show(entriesOf(args[k]!))}`).join(" ");
}

/** The modes agree with each other and with the reference value, at any point. */
function consistency(
  m: GeneratedModule,
  program: Program,
  args: Tensor[],
  rand: () => number,
  kind: PointKind,
): string | undefined {
  const f = program.name;
  // At large arguments, and wherever intermediate values are large, rounding alone moves
  // derivatives by more than any tolerance: there the modes must agree on which derivatives
  // are finite, and on zeros.
  const expected = entriesOf(program.evaluate(args));
  const wellScaled = kind !== "large" && program.largest <= maxMagnitude;
  const tol = (t: number) => (wellScaled ? t : Infinity);
  // With every argument 0, most programs sit on a kink (|x|, relu, √(x²) at 0) where the
  // modes may legitimately differ (∞·0 meets a guard in one and not the other): there, as
  // at large arguments, only values, zeros and the absence of throws are checked.
  const smooth = kind !== "zeros" && kind !== "large";
  // Where an intermediate value overflowed, a derivative through it may be NaN in one mode and
  // finite in the other (∞/∞ forward, a zero adjoint backward): only values are compared there.
  const overflowed = program.overflowed;
  const at = `at the ${kind} point ${argsText(args)}`;
  const scalar = program.resultType.kind === "S";
  const value = entriesOf(m[f](...args));
  if (kind === "random" && !overflowed) {
    for (let i = 0; i < value.length; i++) {
      if (!close(value[i]!, expected[i]!, tol(1e-8)))
        return `${at}: ${f} = ${show(value)}, the reference evaluator says ${show(expected)}`;
    }
  }
  const sameValue = (what: string, got: Tensor) => {
    const g = entriesOf(got);
    for (let i = 0; i < g.length; i++)
      if (!close(g[i]!, value[i]!, 1e-12)) return `${at}: ${what} = ${show(g)} but ${f}() = ${show(value)}`;
    return undefined;
  };
  const wrt = program.wrt;
  const wrtIndex = wrt.map((name) => params.findIndex((p) => p.name === name));
  const zeroDirection = () =>
    Object.fromEntries(wrt.map((name, k) => [name, zerosOf(params[wrtIndex[k]!]!.type)]));

  const { value: forwardValue, tape } = m[`${f}Forward`](...args);
  let problem = sameValue(`${f}Forward().value`, forwardValue);
  if (problem !== undefined) return problem;

  // A zero seed and a zero direction contribute exactly zero — where no intermediate value
  // overflowed: inside a matrix kernel an infinite entry meets a zero as NaN, as in BLAS.
  const exactZeros = !overflowed;
  const zeroSeed = zerosOf(program.resultType);
  const back0 = m[`${f}Backward`](tape, zeroSeed) as Record<string, Tensor>;
  for (const name of exactZeros ? wrt : []) {
    if (!entriesOf(back0[name]!).every((z) => z === 0))
      return `${at}: ${f}Backward with a zero seed gives ${name}: ${show(entriesOf(back0[name]!))}`;
  }
  const jvp0 = m[`${f}Jvp`](...args, zeroDirection());
  if ((problem = sameValue(`${f}Jvp().value`, jvp0.value)) !== undefined) return problem;
  if (exactZeros && !entriesOf(jvp0.tangent).every((z) => z === 0))
    return `${at}: ${f}Jvp along a zero direction gives ${show(entriesOf(jvp0.tangent))}`;

  // The Jacobian three ways: fJacobian, forward sweeps along unit directions, reverse sweeps with unit seeds.
  const outputs = value.length;
  const columns: number[][] = []; // per wrt entry, the column
  for (const [k, name] of wrt.entries()) {
    const size = sizeOfParam(wrtIndex[k]!);
    for (let e = 0; e < size; e++) {
      const direction = zeroDirection();
      const unit = new Float64Array(size);
      unit[e] = 1;
      direction[name] = like(direction[name]!, unit);
      columns.push(Array.from(entriesOf(m[`${f}Jvp`](...args, direction).tangent)));
    }
  }
  const rows: number[][] = [];
  for (let o = 0; o < outputs; o++) {
    const seedEntries = new Float64Array(outputs);
    seedEntries[o] = 1;
    const back = m[`${f}Backward`](tape, like(zeroSeed, seedEntries)) as Record<string, Tensor>;
    rows.push(wrt.flatMap((name) => Array.from(entriesOf(back[name]!))));
  }
  const { value: jacobianValue, jacobian } = m[`${f}Jacobian`](...args);
  if ((problem = sameValue(`${f}Jacobian().value`, jacobianValue)) !== undefined) return problem;
  const jacobianRows = (o: number) =>
    wrt.flatMap((name) => {
      const J = jacobian[name] as Mat;
      return Array.from(J.data.subarray(o * J.cols, (o + 1) * J.cols));
    });
  for (let o = 0; o < outputs; o++) {
    // The derivative of an output that is NaN or infinite means nothing.
    if (!Number.isFinite(value[o]!) || overflowed || !smooth) continue;
    const fromJacobian = jacobianRows(o);
    for (let c = 0; c < columns.length; c++) {
      const forward = columns[c]![o]!;
      const reverse = rows[o]![c]!;
      const j = fromJacobian[c]!;
      // One asymmetry is inherent: an infinite partial (∂(b^p)/∂b at b = 0, p < 1) meeting a
      // local derivative that is 0 by value, not by construction (2b at b = 0). Forward mode
      // multiplies a zero tangent and gets 0; reverse mode multiplies an infinite adjoint and
      // gets NaN, as any AD system does. So reverse may be NaN where forward is finite; the
      // other way round — the class of a missing guard on a zero tangent — is a failure.
      const reverseOnlyNaN = Number.isNaN(reverse) && Number.isFinite(forward);
      const fromJacobianOnlyNaN = Number.isNaN(j) && Number.isFinite(forward);
      if (
        (!reverseOnlyNaN && !agree(forward, reverse, tol(1e-6))) ||
        (!fromJacobianOnlyNaN && !agree(j, forward, tol(1e-6)))
      )
        return `${at}: J[${o}][${c}] (${describeColumn(wrt, wrtIndex, c)}) is ${forward} by forward sweeps, ${reverse} by reverse sweeps, ${j} from ${f}Jacobian`;
    }
  }
  // ⟨u, J v⟩ = ⟨Jᵀ u, v⟩ for a random seed u and direction v.
  const u = Float64Array.from({ length: outputs }, () => uniform(rand, -1, 1));
  const direction = zeroDirection();
  const vEntries: number[] = [];
  for (const name of wrt) {
    const entries = Float64Array.from(entriesOf(direction[name]!), () => uniform(rand, -1, 1));
    vEntries.push(...entries);
    direction[name] = like(direction[name]!, entries);
  }
  const jv = entriesOf(m[`${f}Jvp`](...args, direction).tangent);
  const jtu = m[`${f}Backward`](tape, like(zeroSeed, u)) as Record<string, Tensor>;
  const left = jv.reduce((s, z, i) => s + z * u[i]!, 0);
  const jtuEntries = wrt.flatMap((name) => Array.from(entriesOf(jtu[name]!)));
  const right = jtuEntries.reduce((s, z, i) => s + z * vEntries[i]!, 0);
  if (!overflowed && Number.isFinite(left) && Number.isFinite(right) && !close(left, right, tol(1e-6)))
    return `${at}: ⟨u, J v⟩ = ${left} from ${f}Jvp but ⟨Jᵀu, v⟩ = ${right} from ${f}Backward`;

  if (!scalar) return undefined;
  const grad = m[`${f}Grad`](...args);
  if ((problem = sameValue(`${f}Grad().value`, grad.value)) !== undefined) return problem;
  const gradEntries = wrt.flatMap((name) => Array.from(entriesOf(grad.grad[name])));
  for (let c = 0; c < gradEntries.length; c++) {
    if (!overflowed && smooth && !agree(gradEntries[c]!, rows[0]![c]!, tol(1e-10)))
      return `${at}: ${f}Grad gives ${gradEntries[c]} for ${describeColumn(wrt, wrtIndex, c)}, ${f}Backward(tape, 1) gives ${rows[0]![c]}`;
  }
  const hvp0 = m[`${f}Hvp`](...args, zeroDirection());
  if ((problem = sameValue(`${f}Hvp().value`, hvp0.value)) !== undefined) return problem;
  for (const name of wrt) {
    if (exactZeros && !entriesOf(hvp0.hvp[name]).every((z) => z === 0))
      return `${at}: ${f}Hvp along a zero direction gives ${name}: ${show(entriesOf(hvp0.hvp[name]))}`;
    const g0 = entriesOf(hvp0.grad[name]);
    const g1 = entriesOf(grad.grad[name]);
    for (let i = 0; i < g0.length; i++)
      if (!close(g0[i]!, g1[i]!, tol(1e-10)))
        return `${at}: ${f}Hvp().grad.${name} = ${show(g0)} but ${f}Grad().grad.${name} = ${show(g1)}`;
  }
  const { hessian } = m[`${f}Hessian`](...args) as { hessian: Mat };
  const n = hessian.rows;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const a = hessian.data[i * n + j]!;
      const b = hessian.data[j * n + i]!;
      if (!overflowed && Number.isFinite(a) && Number.isFinite(b) && !close(a, b, tol(1e-6)))
        return `${at}: the Hessian is not symmetric: H[${i}][${j}] = ${a}, H[${j}][${i}] = ${b}`;
    }
  }
  // H d against fHvp along d (the direction above).
  const hvp = m[`${f}Hvp`](...args, direction);
  const hvpEntries = wrt.flatMap((name) => Array.from(entriesOf(hvp.hvp[name])));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += hessian.data[i * n + j]! * vEntries[j]!;
    if (
      !overflowed &&
      Number.isFinite(s) &&
      Number.isFinite(hvpEntries[i]!) &&
      !close(s, hvpEntries[i]!, tol(1e-6))
    )
      return `${at}: (H d)[${i}] = ${s} from ${f}Hessian but ${hvpEntries[i]} from ${f}Hvp`;
  }
  return undefined;
}

function describeColumn(wrt: readonly string[], wrtIndex: readonly number[], c: number): string {
  let offset = 0;
  for (const [k, name] of wrt.entries()) {
    const size = sizeOfParam(wrtIndex[k]!);
    if (c < offset + size) return size === 1 ? `∂/∂${name}` : `∂/∂${name}[${c - offset}]`;
    offset += size;
  }
  return `column ${c}`;
}

/**
 * Derivatives against central differences at two step sizes; "unstable" when
 * the two disagree (a kink, a jump or strong curvature nearby: try another point).
 */
function againstFiniteDifferences(
  m: GeneratedModule,
  program: Program,
  args: Tensor[],
  scalar: boolean,
): string | "unstable" | undefined {
  const f = program.name;
  const at = `at ${argsText(args)}`;
  const wrt = program.wrt;
  const wrtIndex = wrt.map((name) => params.findIndex((p) => p.name === name));
  const value = (a: Tensor[]) => Array.from(entriesOf(m[f](...a)));
  const fd = (fn: (a: Tensor[]) => number[], h: number): number[][] => {
    const cols: number[][] = [];
    for (const k of wrtIndex) {
      const base = entriesOf(args[k]!);
      for (let e = 0; e < base.length; e++) {
        const step = h * Math.max(1, Math.abs(base[e]!));
        const shifted = (delta: number) => {
          const a = [...args];
          const entries = Float64Array.from(base);
          entries[e] = entries[e]! + delta * step;
          a[k] = like(args[k]!, entries);
          return fn(a);
        };
        const plus = shifted(1);
        const minus = shifted(-1);
        cols.push(plus.map((p, i) => (p - minus[i]!) / (2 * step)));
      }
    }
    return cols;
  };
  const coarse = fd(value, 1e-5);
  const fine = fd(value, 1e-6);
  if (!coarse.every((c, j) => c.every((z, i) => Number.isFinite(z) && close(z, fine[j]![i]!, 1e-5))))
    return "unstable";
  const { jacobian } = m[`${f}Jacobian`](...args);
  let c = 0;
  for (const name of wrt) {
    const J = jacobian[name] as Mat;
    for (let e = 0; e < J.cols; e++, c++) {
      for (let o = 0; o < J.rows; o++) {
        const got = J.data[o * J.cols + e]!;
        if (!close(got, fine[c]![o]!, 1e-5))
          return `${at}: ∂${f}[${o}]/${describeColumn(wrt, wrtIndex, c).slice(1)} = ${got} from ${f}Jacobian, finite differences say ${fine[c]![o]}`;
      }
    }
  }
  if (!scalar) return undefined;
  const grad = m[`${f}Grad`](...args);
  const gradEntries = wrt.flatMap((name) => Array.from(entriesOf(grad.grad[name])));
  for (let j = 0; j < gradEntries.length; j++) {
    if (!close(gradEntries[j]!, fine[j]![0]!, 1e-5))
      return `${at}: ${f}Grad gives ${gradEntries[j]} for ${describeColumn(wrt, wrtIndex, j)}, finite differences say ${fine[j]![0]}`;
  }
  // The Hessian against differences of the gradient.
  const gradient = (a: Tensor[]) =>
    wrt.flatMap((name) => Array.from(entriesOf(m[`${f}Grad`](...a).grad[name])));
  const hCoarse = fd(gradient, 1e-5);
  const hFine = fd(gradient, 1e-6);
  if (!hCoarse.every((col, j) => col.every((z, i) => Number.isFinite(z) && close(z, hFine[j]![i]!, 1e-4))))
    return "unstable";
  const { hessian } = m[`${f}Hessian`](...args) as { hessian: Mat };
  const n = hessian.rows;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      const got = hessian.data[i * n + j]!;
      if (!close(got, hFine[j]![i]!, 1e-4))
        return `${at}: H[${i}][${j}] (${describeColumn(wrt, wrtIndex, i)}, ${describeColumn(wrt, wrtIndex, j)}) = ${got} from ${f}Hessian, finite differences of ${f}Grad say ${hFine[j]![i]}`;
    }
  return undefined;
}
