// Builds the straight-line programs behind each generated export of a
// function: the value, the gradient (forward and backward fused, seed 1), and
// the forward/backward pair with the tape between them.

import { Builder, type ValueFactory } from "./builder.js";
import type { CheckedFunction } from "./check.js";
import type { Mode } from "./compile.js";
import { isCall, paramNamed, sourceName, type CallOp, type Instr, type Value } from "./ir.js";
import type { LoweredFunction } from "./lower.js";
import { eliminateDeadCode, mayHoldZeros, optimize, type Program } from "./optimize.js";
import { elementwiseFrom, forward } from "./forward.js";
import { reverse } from "./reverse.js";
import { verifyStage } from "./verify-ir.js";

export interface GradientProgram {
  readonly program: Program;
  readonly value: Value;
  readonly gradients: readonly {
    readonly name: string;
    readonly value: Value;
  }[];
}

export interface SplitPrograms {
  readonly forward: Program;
  readonly backward: Program;
  /** The function's results, in order (the forward pass's outputs before the tape). */
  readonly values: readonly Value[];
  /** One seed per result, shaped like it: inputs of the backward pass, before the tape. */
  readonly seeds: readonly Value[];
  readonly gradients: readonly {
    readonly name: string;
    readonly value: Value;
  }[];
  /** Parameters and forward values the backward pass reads, in definition order. */
  readonly tape: readonly Value[];
}

/** Forward mode: the results and their tangents along one direction per `wrt` parameter. */
export interface TangentProgram {
  readonly program: Program;
  readonly values: readonly Value[];
  /** One tangent per result. */
  readonly tangents: readonly Value[];
  /** The direction of each `wrt` parameter, in order: inputs of the program. */
  readonly directions: readonly { readonly name: string; readonly value: Value }[];
}

/** Forward over reverse: the value, the gradient and the Hessian–vector product. */
export interface HvpProgram {
  readonly program: Program;
  readonly value: Value;
  readonly gradients: readonly { readonly name: string; readonly value: Value }[];
  readonly hvps: readonly { readonly name: string; readonly value: Value }[];
  readonly directions: readonly { readonly name: string; readonly value: Value }[];
}

/**
 * `fHessian` column by column, sharing the primal and gradient work: the gradient program runs
 * once, then for each `wrt` parameter a column program pushes that parameter's direction
 * alone (the others are zero, and fold away) through it, reading its values.
 */
export interface HessianPrograms {
  /** The gradient program: its values are inputs of every column program. */
  readonly shared: GradientProgram;
  readonly columns: readonly {
    readonly name: string;
    /** The direction of this parameter: an input of the column program (a unit vector, or 1). */
    readonly direction: Value;
    /** Its body, after `shared`'s; outputs: the Hessian–vector product of each gradient. */
    readonly program: Program;
  }[];
}

/** How `fJacobian` finds each parameter's block. */
export interface JacobianPlan {
  /** Parameters the result depends on element by element: a diagonal block, one forward sweep each. */
  readonly diagonal: readonly string[];
  /**
   * The others: a backward sweep per output, or — for a vector or matrix result with more
   * outputs than inputs, decided at run time — a forward sweep per input.
   */
  readonly general: readonly string[];
}

/** A sweep function (`fForward`/`fBackward`, `fJvp`): exported, or private to `fJacobian`. */
export type Visibility = "exported" | "private";

/** What the module exports for one function, decided from the modes and the function alone. */
export interface ExportPlan {
  readonly grad: boolean;
  readonly vjp: Visibility | undefined;
  readonly jvp: Visibility | undefined;
  readonly jacobian: JacobianPlan | undefined;
  readonly hessian: boolean;
}

export interface DerivedFunction {
  readonly checked: CheckedFunction;
  readonly lowered: LoweredFunction;
  /** Which functions the module exports for it; emission prints exactly these. */
  readonly plan: ExportPlan;
  readonly value: Program;
  /** Only for functions with a scalar result. */
  readonly grad: GradientProgram | undefined;
  /** Modes vjp and jacobian. */
  readonly split: SplitPrograms | undefined;
  /** Modes jvp and jacobian. */
  readonly jvp: TangentProgram | undefined;
  /** Mode hessian, for functions with a scalar result. */
  readonly hvp: HvpProgram | undefined;
  readonly hessian: HessianPrograms | undefined;
}

/** The exports of one function under `modes`. */
export function planExports(
  checked: CheckedFunction,
  lowered: LoweredFunction,
  modes: ReadonlySet<Mode>,
): ExportPlan {
  const scalar = checked.resultShape.length === 0;
  const [result] = resultsOf(lowered);
  const diagonal = (w: string) => elementwiseFrom(lowered.ir, w, result!);
  const jacobian: JacobianPlan | undefined = modes.has("jacobian")
    ? partitionDiagonal(checked.wrt, diagonal)
    : undefined;
  // The sweeps fJacobian calls: backward sweeps for general parameters, forward sweeps for
  // diagonal ones and, with a vector or matrix result, for general ones when outputs outnumber inputs.
  const jacobianNeedsVjp = jacobian !== undefined && jacobian.general.length > 0;
  const jacobianNeedsJvp =
    jacobian !== undefined && (jacobian.diagonal.length > 0 || (jacobian.general.length > 0 && !scalar));
  const visibility = (mode: Mode, neededByJacobian: boolean): Visibility | undefined =>
    modes.has(mode) ? "exported" : neededByJacobian ? "private" : undefined;
  return {
    grad: scalar && modes.has("grad"),
    vjp: visibility("vjp", jacobianNeedsVjp),
    jvp: visibility("jvp", jacobianNeedsJvp),
    jacobian,
    hessian: scalar && modes.has("hessian") && checked.wrt.length > 0,
  };
}

/** The parameters split into diagonal ones and the others, testing each once. */
function partitionDiagonal(wrt: readonly string[], diagonal: (w: string) => boolean): JacobianPlan {
  const isDiagonal = new Set(wrt.filter(diagonal));
  return { diagonal: [...isDiagonal], general: wrt.filter((w) => !isDiagonal.has(w)) };
}

/** Builds the programs the function's exports need. */
export function deriveFunction(
  checked: CheckedFunction,
  lowered: LoweredFunction,
  modes: ReadonlySet<Mode>,
): DerivedFunction {
  const { ir, values } = lowered;
  const results = resultsOf(lowered);
  verifyStage("lowering", ir.params, ir.body, results, values.nameOf);
  const plan = planExports(checked, lowered, modes);
  const value = optimized("the value program", { body: ir.body, outputs: results }, values, ir.params);
  const grad = plan.grad || plan.hessian ? gradient(lowered, checked.wrt, values) : undefined;
  return {
    checked,
    lowered,
    plan,
    value,
    grad,
    split: plan.vjp !== undefined ? split(lowered, checked.wrt, values) : undefined,
    jvp: plan.jvp !== undefined ? tangentProgram(lowered, checked.wrt) : undefined,
    hvp: plan.hessian ? hvpProgram(lowered, checked.wrt, grad!) : undefined,
    hessian: plan.hessian ? hessianPrograms(lowered, checked.wrt, grad!) : undefined,
  };
}

/** One direction value per `wrt` parameter, shaped like it: `x_dot` for x. */
function directionsFor(lowered: LoweredFunction, wrt: readonly string[]) {
  return wrt.map((name) => {
    const param = paramNamed(lowered.ir, name);
    return { name, param, value: lowered.values.make(param.shape, sourceName(name, ["tangent"])) };
  });
}

/** The tangents of `body`'s values along one new direction per `wrt` parameter. */
function pushDirections(lowered: LoweredFunction, wrt: readonly string[], body: readonly Instr[]) {
  const directions = directionsFor(lowered, wrt);
  const pushed = forward(body, new Map(directions.map((d) => [d.param.id, d.value])), lowered.values);
  const b = new Builder(lowered.values);
  const tangentOf = (v: Value) => pushed.tangentOf(v) ?? b.zeros(v.shape);
  return {
    directions: directions.map(({ name, value }) => ({ name, value })),
    tangentOf,
    /** The body, its tangents, and any zeros `tangentOf` had to make. */
    body: () => [...body, ...pushed.body, ...b.body],
  };
}

function tangentProgram(lowered: LoweredFunction, wrt: readonly string[]): TangentProgram {
  const results = resultsOf(lowered);
  const pushed = pushDirections(lowered, wrt, lowered.ir.body);
  const tangents = results.map((r) => pushed.tangentOf(r));
  const directions = pushed.directions.map((d) => d.value);
  const program = optimized(
    "forward mode",
    { body: pushed.body(), outputs: [...results, ...tangents] },
    lowered.values,
    [...lowered.ir.params, ...directions],
    directions,
  );
  return {
    program,
    values: program.outputs.slice(0, results.length),
    tangents: program.outputs.slice(results.length),
    directions: pushed.directions,
  };
}

/** The JVP of the gradient program: Hessian–vector products by forward over reverse. */
function hvpProgram(lowered: LoweredFunction, wrt: readonly string[], grad: GradientProgram): HvpProgram {
  const pushed = pushDirections(lowered, wrt, grad.program.body);
  const hvps = grad.gradients.map((g) => ({ name: g.name, value: pushed.tangentOf(g.value) }));
  const outputs = [grad.value, ...grad.gradients.map((g) => g.value), ...hvps.map((h) => h.value)];
  const directions = pushed.directions.map((d) => d.value);
  const program = optimized(
    "forward over reverse",
    { body: pushed.body(), outputs },
    lowered.values,
    [...lowered.ir.params, ...directions],
    directions,
  );
  const n = grad.gradients.length;
  return {
    program,
    value: program.outputs[0]!,
    gradients: grad.gradients.map((g, i) => ({ name: g.name, value: program.outputs[1 + i]! })),
    hvps: hvps.map((h, i) => ({ name: h.name, value: program.outputs[1 + n + i]! })),
    directions: pushed.directions,
  };
}

/** The gradient program once, and per parameter the tangent pass along its direction alone. */
function hessianPrograms(
  lowered: LoweredFunction,
  wrt: readonly string[],
  grad: GradientProgram,
): HessianPrograms {
  const sharedBody = grad.program.body;
  // Constants and dimensions are printed where they are used: a column program gets its own
  // copies, so that folding sees them.
  const isLeaf = (i: Instr) => i.op === "const" || i.op === "dim";
  const leaves = sharedBody.filter(isLeaf);
  const sharedValues = [...lowered.ir.params, ...sharedBody.filter((i) => !isLeaf(i)).map((i) => i.result)];
  // Shared values that may hold zeros standing for "no dependence" keep their guards.
  const zeroing = mayHoldZeros(sharedBody);
  const maybeZero = sharedValues.filter((v) => zeroing.has(v.id));
  const columns = directionsFor(lowered, wrt).map(({ name, param, value: direction }) => {
    // The direction stays an input that may hold zeros, as fHvp's does, so the column
    // programs keep fHvp's guards: a tangent that is 0 (as (3 − n)·ẏ is at n = 3) meets an
    // infinite partial as 0, never NaN. A scalar parameter's direction is the local 1.
    const pushed = forward(sharedBody, new Map([[param.id, direction]]), lowered.values);
    const b = new Builder(lowered.values);
    const hvps = grad.gradients.map((g) => pushed.tangentOf(g.value) ?? b.zeros(g.value.shape));
    const program = optimized(
      `the Hessian's column program for '${name}'`,
      { body: [...leaves, ...pushed.body, ...b.body], outputs: hvps },
      lowered.values,
      [...sharedValues, direction],
      [direction, ...maybeZero],
    );
    return { name, direction, program };
  });
  return { shared: grad, columns };
}

/**
 * The results and the backward pass from `seeds` (one per result); `seedsAreInputs` when the
 * caller passes them (they may hold zeros).
 */
function joint(
  lowered: LoweredFunction,
  wrt: readonly string[],
  seeds: readonly Value[],
  seedInstrs: readonly Instr[],
  seedsAreInputs: boolean,
) {
  const { ir, values } = lowered;
  const results = resultsOf(lowered);
  const backward = reverse(ir, wrt, seeds, values);
  const outputs = [...results, ...backward.gradients.map((g) => g.value)];
  const program = optimized(
    "reverse mode",
    { body: [...seedInstrs, ...ir.body, ...backward.body], outputs },
    values,
    seedsAreInputs ? [...ir.params, ...seeds] : ir.params,
    seedsAreInputs ? seeds : [],
  );
  const gradients = backward.gradients.map((g, i) => ({
    name: g.name,
    value: program.outputs[results.length + i]!,
  }));
  return { program, values: program.outputs.slice(0, results.length), gradients };
}

/** The gradient of a function with one real result: its backward pass from the seed 1. */
function gradient(lowered: LoweredFunction, wrt: readonly string[], values: ValueFactory): GradientProgram {
  const [result] = resultsOf(lowered);
  if (lowered.ir.outputs.length !== 1 || result!.shape.length !== 0) {
    throw new Error(`internal: a gradient of '${lowered.ir.name}', which has no single real result`);
  }
  const b = new Builder(values);
  const seed = b.apply("const", [], { value: 1 }, "seed");
  const { program, values: results, gradients } = joint(lowered, wrt, [seed], b.body, false);
  return { program, value: results[0]!, gradients };
}

function split(lowered: LoweredFunction, wrt: readonly string[], values: ValueFactory): SplitPrograms {
  const results = resultsOf(lowered);
  // `seed` for one result; `seed0`, `seed1`, ... for a tuple's.
  const seeds = results.map((r, k) =>
    values.make(r.shape, sourceName(results.length === 1 ? "seed" : `seed${k}`)),
  );
  const joined = joint(lowered, wrt, seeds, [], true);
  const { program, gradients } = joined;
  // The forward pass computes just what the results need; the rest waits for the seeds.
  const forwardBody = eliminateDeadCode(program.body, joined.values);
  const inForward = new Set(forwardBody);
  const backwardBody = program.body.filter((instr) => !inForward.has(instr));
  const forwardIds = new Set([...lowered.ir.params, ...forwardBody.map((i) => i.result)].map((v) => v.id));
  const inlined = new Set(
    forwardBody.filter((i) => i.op === "const" || i.op === "dim").map((i) => i.result.id),
  );
  const needed = new Set<number>();
  for (const instr of backwardBody) for (const arg of instr.args) needed.add(arg.id);
  for (const g of gradients) needed.add(g.value.id);
  const tape = [...lowered.ir.params, ...forwardBody.map((i) => i.result)].filter(
    (v) => needed.has(v.id) && forwardIds.has(v.id) && !inlined.has(v.id),
  );
  // Constants the backward pass shares with the forward pass are re-emitted inline.
  const sharedLeaves = forwardBody.filter(
    (i) => (i.op === "const" || i.op === "dim") && needed.has(i.result.id),
  );
  const backward = { body: [...sharedLeaves, ...backwardBody], outputs: gradients.map((g) => g.value) };
  verifyStage("the split into forward and backward", lowered.ir.params, forwardBody, joined.values);
  verifyStage("the split into forward and backward", [...seeds, ...tape], backward.body, backward.outputs);
  return {
    forward: { body: forwardBody, outputs: joined.values },
    backward,
    values: joined.values,
    seeds,
    gradients,
    tape,
  };
}

/**
 * A derivative of a function the module calls as a call (not inlined): a function of its own,
 * derived from the callee's IR like any function's, which the rules of the `call` operation call.
 * - `pullback`: the adjoints of the parameters in `wrt` for the adjoint `seed` of the result;
 * - `pushforward`: the tangent of the result from the tangents of the parameters;
 * - `pullbackTangent`: the tangents of a pullback's adjoints (forward over reverse), from the
 *   tangents of the parameters and of the seed.
 */
export interface CallDerivative {
  /** Identifies it: the calls that need it carry the same key (`callKey`). */
  readonly key: string;
  readonly kind: "pullback" | "pushforward" | "pullbackTangent";
  readonly callee: string;
  /** The callee as lowered: its parameters are the first inputs. */
  readonly lowered: LoweredFunction;
  readonly wrt: readonly string[];
  /** Its inputs after the callee's parameters: the seed, the tangents, the seed's tangent. */
  readonly inputs: readonly Value[];
  readonly program: Program;
  /** One per `wrt` parameter (pullbacks); the result's tangent (`value`) for a pushforward. */
  readonly outputs: readonly { readonly name: string; readonly value: Value }[];
}

/** The key of the call derivative a call instruction calls; undefined for a call of the value. */
export function callKey(instr: Instr<CallOp>): string | undefined {
  const { callee } = instr.attrs;
  switch (instr.op) {
    case "call":
      return undefined;
    case "callPushforward":
      return `pushforward ${callee}`;
    case "callPullback":
    case "callPullbackTangent":
      return `${instr.op === "callPullback" ? "pullback" : "pullbackTangent"} ${callee} [${instr.attrs.wrt.join(",")}]`;
  }
}

/** Every program a derived function emits. */
export function programsOf(fn: DerivedFunction): Program[] {
  return [
    fn.value,
    ...(fn.grad === undefined ? [] : [fn.grad.program]),
    ...(fn.split === undefined ? [] : [fn.split.forward, fn.split.backward]),
    ...(fn.jvp === undefined ? [] : [fn.jvp.program]),
    ...(fn.hvp === undefined ? [] : [fn.hvp.program]),
    ...(fn.hessian === undefined ? [] : fn.hessian.columns.map((c) => c.program)),
  ];
}

/**
 * The derivatives of called functions that `functions`' programs call, and those their own
 * programs call in turn, in the order first needed.
 */
export function deriveCallDerivatives(
  functions: readonly DerivedFunction[],
  lowered: ReadonlyMap<string, LoweredFunction>,
): CallDerivative[] {
  const derived = new Map<string, CallDerivative>();
  const pending: Instr<CallOp>[] = [];
  const scan = (program: Program) => {
    for (const instr of program.body) if (isCall(instr) && callKey(instr) !== undefined) pending.push(instr);
  };
  functions.flatMap(programsOf).forEach(scan);
  for (let instr = pending.shift(); instr !== undefined; instr = pending.shift()) {
    const key = callKey(instr)!;
    if (derived.has(key)) continue;
    const callee = lowered.get(instr.attrs.callee);
    if (callee === undefined)
      throw new Error(`internal: a call of '${instr.attrs.callee}', which is not lowered`);
    const derivative = callDerivative(key, instr, callee);
    derived.set(key, derivative);
    scan(derivative.program);
  }
  return [...derived.values()];
}

function callDerivative(key: string, instr: Instr<CallOp>, lowered: LoweredFunction): CallDerivative {
  const { ir, values } = lowered;
  const wrt = instr.op === "callPullback" || instr.op === "callPullbackTangent" ? instr.attrs.wrt : [];
  const base = { key, callee: ir.name, lowered, wrt };
  const [result] = resultsOf(lowered);
  if (instr.op === "callPushforward") {
    const pushed = pushDirections(lowered, ir.paramNames, ir.body);
    const directions = pushed.directions.map((d) => d.value);
    // Zeros where the result does not depend on the parameters: asked before the body is read.
    const tangent = pushed.tangentOf(result!);
    const program = optimized(
      `the pushforward of '${ir.name}'`,
      { body: pushed.body(), outputs: [tangent] },
      values,
      [...ir.params, ...directions],
      directions,
    );
    return {
      ...base,
      kind: "pushforward",
      inputs: directions,
      program,
      outputs: [{ name: "value", value: program.outputs[0]! }],
    };
  }
  const seed = values.make(result!.shape, sourceName("seed"));
  const backward = reverse(ir, wrt, [seed], values);
  const pullback = optimized(
    `the pullback of '${ir.name}'`,
    { body: [...ir.body, ...backward.body], outputs: backward.gradients.map((g) => g.value) },
    values,
    [...ir.params, seed],
    [seed],
  );
  const named = (program: Program) => wrt.map((name, k) => ({ name, value: program.outputs[k]! }));
  if (instr.op === "callPullback") {
    return { ...base, kind: "pullback", inputs: [seed], program: pullback, outputs: named(pullback) };
  }
  // Forward over the pullback, along the parameters' directions and the seed's.
  const directions = directionsFor(lowered, ir.paramNames);
  const seedDot = values.make(seed.shape, sourceName("seed", ["tangent"]));
  const seeds = new Map([...directions.map((d) => [d.param.id, d.value] as const), [seed.id, seedDot]]);
  const pushed = forward(pullback.body, seeds, values);
  const b = new Builder(values);
  const outputs = pullback.outputs.map((g) => pushed.tangentOf(g) ?? b.zeros(g.shape));
  const inputs = [seed, ...directions.map((d) => d.value), seedDot];
  const program = optimized(
    `the tangent of the pullback of '${ir.name}'`,
    { body: [...pullback.body, ...pushed.body, ...b.body], outputs },
    values,
    [...ir.params, ...inputs],
    inputs,
  );
  return { ...base, kind: "pullbackTangent", inputs, program, outputs: named(program) };
}

/** The function's results, in order. */
function resultsOf(lowered: LoweredFunction): Value[] {
  return lowered.ir.outputs.map((o) => o.value);
}

/** Optimizes `program`, verifying it before and after (when verification is on). */
function optimized(
  stage: string,
  program: Program,
  values: ValueFactory,
  inputs: readonly Value[],
  maybeZero: readonly Value[] = [],
): Program {
  verifyStage(stage, inputs, program.body, program.outputs, values.nameOf);
  const result = optimize(program, values, maybeZero);
  verifyStage(`optimizing ${stage}`, inputs, result.body, result.outputs, values.nameOf);
  return result;
}
