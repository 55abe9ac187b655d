// Scheduling: a straight-line program to the steps emission prints — which
// values are written into their consumer's formula instead of a statement of
// their own, which element-wise computations over vectors and matrices share
// one loop, and where each source statement's block begins. A pure function of
// the IR: it reads operations, shapes and origins, never generated code, so a
// second back end can print the same schedule.

import type { Instr, Origin, Value } from "./ir.js";
import { notYet, primitives } from "./primitives.js";
import { shapesEqual, type Shape } from "./shapes.js";

export interface Schedule {
  /** Constants and dimensions: printed where they are used. */
  readonly leaves: ReadonlyMap<number, Instr>;
  /** Values written into their one consumer's formula (keyed by the value's id). */
  readonly inlined: ReadonlyMap<number, Instr>;
  /**
   * exp(x − logsumexp(x)) computed by the logsumexp's own kernel, which takes every
   * exponential anyway (keyed by the logsumexp's id): the derivative takes none again.
   */
  readonly exponentials: ReadonlyMap<number, Instr>;
  readonly steps: readonly Step[];
}

export type Step =
  /** The start of a source statement's block (its comment). */
  | { readonly kind: "block"; readonly origin: Origin }
  /** One value computed on its own: a scalar, or an operation over whole values. */
  | { readonly kind: "statement"; readonly instr: Instr }
  /** One loop over the elements of `shape`, computing each member element by element. */
  | { readonly kind: "loop"; readonly shape: Shape; readonly members: readonly LoopMember[] };

export type LoopMember =
  /** An element-wise value: element i of the result. */
  | { readonly kind: "store"; readonly instr: Instr }
  /** sum(chain) of an inlined element-wise chain: accumulated, with no array. */
  | { readonly kind: "sumChain"; readonly instr: Instr; readonly chain: Instr }
  /** sum(array) of an array of the loop's shape: accumulated in the loop. */
  | { readonly kind: "sumArray"; readonly instr: Instr };

/** The most operations one inlined expression holds (past it, a line of its own: readable). */
export const maxFusedOperations = 12;

/**
 * The schedule of a program; `keep` tells values the user named, which keep a statement of
 * their own (never inlined), so the generated code shows them.
 */
export function schedule(
  body: readonly Instr[],
  outputs: readonly Value[],
  keep: (v: Value) => boolean,
): Schedule {
  const leaves = new Map<number, Instr>();
  for (const instr of body) {
    if (instr.blocks !== undefined) notYet("scheduling", instr.op);
    if (instr.op === "const" || instr.op === "dim") leaves.set(instr.result.id, instr);
  }
  const exponentials = pairExponentials(body);
  const byLogsumexp = new Set([...exponentials.values()].map((e) => e.result.id));
  // What only those exponentials read (x − logsumexp) is not computed at all.
  const logsumexpOf = new Map([...exponentials].map(([lse, e]) => [e.result.id, lse]));
  const statements = live(
    body.filter((i) => !leaves.has(i.result.id) && !byLogsumexp.has(i.result.id)),
    outputs,
    logsumexpOf,
  );
  const pinned = [...outputs, ...body.filter((i) => exponentials.has(i.result.id)).map((i) => i.result)];
  const inlined = chooseInlined(statements, pinned, keep);
  return { leaves, inlined, exponentials, steps: formLoops(statements, inlined) };
}

/**
 * The statements the outputs depend on, in order; a value another's kernel computes
 * (`computedBy`: exponentials by their logsumexp) depends on that kernel's instruction.
 */
function live(
  statements: readonly Instr[],
  outputs: readonly Value[],
  computedBy: ReadonlyMap<number, number>,
): Instr[] {
  const needed = new Set<number>();
  const need = (id: number) => {
    needed.add(id);
    const kernel = computedBy.get(id);
    if (kernel !== undefined) needed.add(kernel);
  };
  outputs.forEach((v) => need(v.id));
  const kept: Instr[] = [];
  for (let k = statements.length - 1; k >= 0; k--) {
    const instr = statements[k]!;
    if (!needed.has(instr.result.id)) continue;
    kept.push(instr);
    for (const a of instr.args) need(a.id);
  }
  return kept.reverse();
}

/**
 * The values exp(x − logsumexp(x)) (softmax, logsumexp's derivative) whose logsumexp, of the
 * same x along the same axis, is in the same body: keyed by the logsumexp's id.
 */
function pairExponentials(body: readonly Instr[]): Map<number, Instr> {
  const producers = new Map(body.map((i) => [i.result.id, i]));
  const pairs = new Map<number, Instr>();
  for (const instr of body) {
    if (instr.op !== "exp") continue;
    const difference = producers.get(instr.args[0]!.id);
    if (difference?.op !== "sub") continue;
    const [x, shift] = difference.args as [Value, Value];
    let lse = producers.get(shift.id);
    if (lse?.op === "broadcast") {
      const axis = lse.attrs.axis;
      lse = producers.get(lse.args[0]!.id);
      if (lse?.op !== "logsumexp" || lse.attrs.axis !== axis) continue;
    } else if (lse?.op !== "logsumexp" || lse.attrs.axis !== undefined) continue;
    if (lse.args[0]!.id !== x.id || pairs.has(lse.result.id)) continue;
    pairs.set(lse.result.id, instr);
  }
  return pairs;
}

/** A sum of all elements of its operand. */
export function isTotalSum(instr: Instr): boolean {
  return instr.op === "sum" && instr.attrs.axis === undefined;
}

/** Identifies a source statement's block: its line, text and pass (backward, tangent). */
function blockKey(origin: Origin): string {
  return `${origin.line}|${origin.backward === true}|${origin.tangent === true}|${origin.text}`;
}

/** How many times an operation reads operand `k`: twice where it also tests it for zero. */
function reads(instr: Instr, k: number): number {
  return primitives[instr.op].guarded?.includes(k) === true ? 2 : 1;
}

/**
 * A single-use element-wise temporary of the same source statement goes into its consumer's
 * formula, so an element-wise chain becomes one expression (one loop over a vector or matrix,
 * with no temporary arrays); a sum of such a chain accumulates in the chain's loop.
 */
function chooseInlined(
  statements: readonly Instr[],
  outputs: readonly Value[],
  keep: (v: Value) => boolean,
): Map<number, Instr> {
  const inlined = new Map<number, Instr>();
  /** The instructions reading each value, once per read. */
  const consumers = new Map<number, Instr[]>();
  for (const instr of statements) {
    for (const arg of instr.args) {
      const users = consumers.get(arg.id);
      if (users === undefined) consumers.set(arg.id, [instr]);
      else users.push(instr);
    }
  }
  const pinned = new Set(outputs.map((v) => v.id));
  const size = new Map<number, number>();
  const sizeOf = (instr: Instr) =>
    1 + instr.args.reduce((acc, a) => acc + (inlined.has(a.id) ? (size.get(a.id) ?? 0) : 0), 0);
  for (const instr of statements) {
    const v = instr.result;
    size.set(v.id, sizeOf(instr));
    const users = consumers.get(v.id) ?? [];
    if (pinned.has(v.id) || keep(v)) continue;
    if (isIndexedBroadcast(instr, users)) {
      inlined.set(v.id, instr);
      continue;
    }
    const user = users[0];
    if (user === undefined || users.length !== 1) continue;
    if (size.get(v.id)! > maxFusedOperations) continue;
    if (user.origin === undefined || instr.origin === undefined) {
      if (user.origin !== instr.origin) continue;
    } else if (blockKey(user.origin) !== blockKey(instr.origin)) continue;
    // A sum that accumulates an inlined chain is a statement of its own.
    if (isTotalSum(instr) && inlined.has(instr.args[0]!.id)) continue;
    const elementwiseProducer = primitives[instr.op].elementwise === true;
    if (isTotalSum(user) && v.shape.length > 0 && elementwiseProducer) {
      inlined.set(v.id, instr);
      continue;
    }
    if (primitives[user.op].elementwise !== true || reads(user, user.args.indexOf(v)) !== 1) continue;
    const scalarIntoScalar = v.shape.length === 0 && user.result.shape.length === 0;
    const loopIntoLoop = v.shape.length > 0 && elementwiseProducer && shapesEqual(v.shape, user.result.shape);
    if (scalarIntoScalar || loopIntoLoop) inlined.set(v.id, instr);
  }
  return inlined;
}

/**
 * A scalar or vector filled out to an array that only element-wise loops over that array read:
 * each loop reads the element it needs from the source (`v[col]` or `v[row]` in nested loops),
 * and no array is filled.
 */
function isIndexedBroadcast(instr: Instr, users: readonly Instr[]): boolean {
  const v = instr.result;
  if (instr.op !== "broadcast" || users.length === 0) return false;
  return users.every(
    (user) =>
      primitives[user.op].elementwise === true &&
      shapesEqual(user.result.shape, v.shape) &&
      user.args.every((a, k) => a !== v || reads(user, k) === 1),
  );
}

/**
 * Statements in order, with the element-wise ones over the same elements sharing one loop —
 * unless one reads a sum the loop is still accumulating — and a block wherever the source
 * statement changes.
 */
function formLoops(statements: readonly Instr[], inlined: ReadonlyMap<number, Instr>): Step[] {
  const steps: Step[] = [];
  let block: string | undefined;
  let open: { shape: Shape; members: LoopMember[]; accumulators: Set<number> } | undefined;
  const close = () => {
    if (open !== undefined) steps.push({ kind: "loop", shape: open.shape, members: open.members });
    open = undefined;
  };
  /** The values a member's formula reads, through the expressions inlined into it. */
  const readsOf = (instr: Instr): Set<number> => {
    const read = new Set<number>();
    const visit = (i: Instr) => {
      for (const a of i.args) {
        read.add(a.id);
        const producer = inlined.get(a.id);
        if (producer !== undefined) visit(producer);
      }
    };
    visit(instr);
    return read;
  };
  for (const instr of statements) {
    if (inlined.has(instr.result.id)) continue;
    if (instr.origin !== undefined && blockKey(instr.origin) !== block) {
      close();
      steps.push({ kind: "block", origin: instr.origin });
      block = blockKey(instr.origin);
    }
    const chain = isTotalSum(instr) ? inlined.get(instr.args[0]!.id) : undefined;
    const array = instr.args[0];
    let member: LoopMember | undefined;
    let shape: Shape | undefined;
    if (chain !== undefined) {
      member = { kind: "sumChain", instr, chain };
      shape = chain.result.shape;
    } else if (
      isTotalSum(instr) &&
      array !== undefined &&
      open !== undefined &&
      shapesEqual(array.shape, open.shape)
    ) {
      // A sum of an array over the open loop's elements joins that loop.
      member = { kind: "sumArray", instr };
      shape = open.shape;
    } else if (instr.result.shape.length > 0 && primitives[instr.op].elementwise === true) {
      member = { kind: "store", instr };
      shape = instr.result.shape;
    }
    if (member === undefined || shape === undefined) {
      close();
      steps.push({ kind: "statement", instr });
      continue;
    }
    const read = readsOf(member.kind === "sumChain" ? member.chain : instr);
    const fits =
      open !== undefined &&
      shapesEqual(open.shape, shape) &&
      ![...open.accumulators].some((a) => read.has(a));
    if (!fits) {
      close();
      open = { shape, members: [], accumulators: new Set() };
    }
    open!.members.push(member);
    if (member.kind !== "store") open!.accumulators.add(instr.result.id);
  }
  close();
  return steps;
}
