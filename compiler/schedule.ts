// Scheduling: a straight-line program to the steps emission prints — which
// values are written into their consumer's formula instead of a statement of
// their own, which element-wise computations over vectors and matrices share
// one loop, and where each source statement's block begins. A pure function of
// the IR: it reads operations, shapes and origins, never generated code, so a
// second back end can print the same schedule.

import { isZeroSafe, type Instr, type Origin, type Value } from "./ir.js";
import { notYet, primitives } from "./primitives.js";
import { shapesEqual, type Dim, type Shape } from "./shapes.js";

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
  /**
   * Values x of which the body takes both softplus(x) and sigmoid(x) (a logistic loss and its
   * derivative): a loop computing x also takes e^-|x|, once for both.
   */
  readonly sharedExponentials: ReadonlySet<number>;
  /** Statements nothing reads, kept for what their kernel also writes (a logsumexp's exponentials). */
  readonly discarded: ReadonlySet<number>;
  readonly steps: readonly Step[];
}

export type Step =
  /** The start of a source statement's block (its comment). */
  | { readonly kind: "block"; readonly origin: Origin }
  /** One value computed on its own: a scalar, or an operation over whole values. */
  | { readonly kind: "statement"; readonly instr: Instr }
  /** One loop over the elements of `shape`, computing each member element by element. */
  | { readonly kind: "loop"; readonly shape: Shape; readonly members: readonly LoopMember[] }
  /**
   * One pass over the rows of matrices with `rows` rows, computing its members row by row (a
   * matrix is read once for all its products, and the element-wise work between them is done
   * while its row is at hand).
   */
  | {
      readonly kind: "rows";
      readonly rows: Dim;
      readonly members: readonly RowMember[];
      /** Values of the pass read only within it, row by row: no array holds them. */
      readonly locals: ReadonlySet<number>;
    };

export type RowMember =
  /** Element i of A x (a `matvec`): row i of A times x. */
  | { readonly kind: "dot"; readonly instr: Instr }
  /** An element-wise value, or sum, over the rows (a member of a loop over a vector). */
  | { readonly kind: "element"; readonly member: LoopMember }
  /** xᵀA (a `vecmat`), accumulated: x_i times row i of A added in. */
  | { readonly kind: "accumulate"; readonly instr: Instr }
  /** The start of a source statement's block. */
  | { readonly kind: "block"; readonly origin: Origin };

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
  // A logsumexp that fills its exponentials is a statement of its own (its kernel writes them).
  const pinned = [...outputs, ...body.filter((i) => exponentials.has(i.result.id)).map((i) => i.result)];
  const inlined = chooseInlined(statements, pinned, keep);
  const steps = formRowPasses(formLoops(statements, inlined), inlined, outputs, exponentials);
  const ofOp = (op: string) => new Set(body.filter((i) => i.op === op).map((i) => i.args[0]!.id));
  const sigmoidOf = ofOp("sigmoid");
  const sharedExponentials = new Set([...ofOp("softplus")].filter((id) => sigmoidOf.has(id)));
  const read = new Set([...outputs.map((v) => v.id), ...statements.flatMap((i) => i.args.map((a) => a.id))]);
  const discarded = new Set([...exponentials.keys()].filter((id) => !read.has(id)));
  return { leaves, inlined, exponentials, sharedExponentials, discarded, steps };
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

/** The values a formula reads, through the expressions inlined into it. */
function readsThroughInlined(instr: Instr, inlined: ReadonlyMap<number, Instr>): Set<number> {
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
}

/** The formula a loop member computes. */
function formulaOf(member: LoopMember): Instr {
  return member.kind === "sumChain" ? member.chain : member.instr;
}

/**
 * Passes over the rows of matrices: a run of products of a matrix by a vector (`matvec`, one
 * element per row), loops over vectors of as many elements, and products of such a vector by
 * a matrix (`vecmat`, accumulated row by row) becomes one pass over the rows, as a hand-written
 * fused loop is. Other steps among them (scalars, loops over other lengths, other kernels) go
 * before the pass when they read nothing it computes, after it otherwise; a member that reads
 * one of those (or a sum or product the pass is still accumulating) starts a new run.
 */
function formRowPasses(
  steps: readonly Step[],
  inlined: ReadonlyMap<number, Instr>,
  outputs: readonly Value[],
  exponentials: ReadonlyMap<number, Instr>,
): Step[] {
  const out: Step[] = [];
  interface Run {
    rows: Dim;
    members: RowMember[];
    original: Step[];
    /** The steps that became members (not the scalars moved before or after the pass). */
    memberSteps: Step[];
    before: Step[];
    after: Step[];
    /** The source statement of the step last seen: steps moved around the pass keep theirs. */
    origin: Origin | undefined;
    /** The comment each of `before` and `after` last received. */
    asideOrigin: { before?: Origin; after?: Origin };
    /** Values the pass computes element by element: readable within it. */
    elements: Set<number>;
    /** Values complete only when the pass ends: sums, accumulated products, what reads them. */
    pending: Set<number>;
  }
  let run: Run | undefined;
  const close = () => {
    if (run === undefined) return;
    // Worth its longer code where it reads a matrix once for two products (a model's forward
    // product and its gradient's), as a hand-written training loss does.
    const read = (kind: RowMember["kind"]) =>
      new Set(run!.members.flatMap((m) => (m.kind === kind && "instr" in m ? [matrixOf(m.instr).id] : [])));
    const accumulated = read("accumulate");
    // Not for a few rows known now (a 2 × 2 literal): its loop of eight rows would never run.
    const enoughRows = typeof run.rows !== "number" || run.rows >= 16;
    const worthwhile = enoughRows && [...read("dot")].some((id) => accumulated.has(id));
    if (worthwhile) {
      const locals = localValues(run.members, run.memberSteps);
      out.push(...run.before, { kind: "rows", rows: run.rows, members: run.members, locals }, ...run.after);
    } else out.push(...run.original);
    run = undefined;
  };
  /** The source statement of the block being read. */
  let origin: Origin | undefined;
  const open = (rows: Dim) => {
    close();
    run = {
      rows,
      // The pass's first rows of code are under their statement's comment, inside it too.
      members: origin === undefined ? [] : [{ kind: "block", origin }],
      original: [],
      memberSteps: [],
      before: [],
      after: [],
      origin,
      asideOrigin: {},
      elements: new Set(),
      pending: new Set(),
    };
    return run;
  };
  /** Whether a member reading `read` can join the open run. */
  const canRead = (r: Run, read: Iterable<number>) => ![...read].some((id) => r.pending.has(id));

  for (const step of steps) {
    if (step.kind === "block") origin = step.origin;
    const joining = asRowMembers(step);
    if (joining === undefined) {
      if (step.kind === "block") {
        if (run !== undefined) {
          run.members.push({ kind: "block", origin: step.origin });
          run.original.push(step);
          run.origin = step.origin;
        } else out.push(step);
        continue;
      }
      if (run !== undefined && (step.kind === "statement" || step.kind === "loop")) {
        moveAside(run, step);
        continue;
      }
      close();
      out.push(step);
      continue;
    }
    const { rows, members, reads, whole } = joining;
    // A loop over another length (a penalty on the weights, say) goes around the pass.
    if (run !== undefined && step.kind === "loop" && run.rows !== rows) {
      moveAside(run, step);
      continue;
    }
    const joins =
      run !== undefined &&
      run.rows === rows &&
      canRead(run, reads) &&
      ![...whole].some((id) => run!.elements.has(id));
    const r = joins ? run! : open(rows);
    r.original.push(step);
    r.memberSteps.push(step);
    for (const member of members) {
      r.members.push(member);
      if (member.kind === "dot") {
        r.elements.add(member.instr.result.id);
      } else if (member.kind === "accumulate") {
        r.pending.add(member.instr.result.id);
      } else if (member.kind === "element") {
        const m = member.member;
        (m.kind === "store" ? r.elements : r.pending).add(m.instr.result.id);
      }
    }
  }
  close();
  return out;

  /**
   * A step that is not part of the pass: before it when it reads nothing the pass computes,
   * after it otherwise (and then what it computes exists only after the pass).
   */
  function moveAside(r: Run, step: Step & { kind: "statement" | "loop" }): void {
    const instrs = step.kind === "statement" ? [step.instr] : step.members.map((m) => m.instr);
    const formulas = step.kind === "statement" ? [step.instr] : step.members.map(formulaOf);
    const read = new Set(formulas.flatMap((f) => [...readsThroughInlined(f, inlined)]));
    const fromPass = [...read].some((id) => r.elements.has(id) || r.pending.has(id));
    const aside = fromPass ? r.after : r.before;
    // Under its source statement's comment, there too.
    const side = fromPass ? "after" : "before";
    if (r.origin !== undefined && r.asideOrigin[side] !== r.origin) {
      aside.push({ kind: "block", origin: r.origin });
      r.asideOrigin[side] = r.origin;
    }
    aside.push(step);
    r.original.push(step);
    if (!fromPass) return;
    for (const instr of instrs) {
      r.pending.add(instr.result.id);
      // The exponentials a logsumexp's kernel writes exist when it has run.
      const written = exponentials.get(instr.result.id);
      if (written !== undefined) r.pending.add(written.result.id);
    }
  }

  /**
   * The values a pass computes element by element that nothing outside it reads (nor an
   * output, nor a product repaired after the pass from its factor's array).
   */
  function localValues(members: readonly RowMember[], memberSteps: readonly Step[]): Set<number> {
    const inPass = new Set(memberSteps);
    const readOutside = new Set(outputs.map((v) => v.id));
    for (const step of steps) {
      if (inPass.has(step)) continue;
      const instrs =
        step.kind === "statement" ? [step.instr] : step.kind === "loop" ? step.members.map(formulaOf) : [];
      for (const instr of instrs) for (const id of readsThroughInlined(instr, inlined)) readOutside.add(id);
    }
    for (const m of members) {
      if (m.kind === "accumulate" && isZeroSafe(m.instr)) {
        readOutside.add(m.instr.args[0]!.id);
      }
    }
    const locals = new Set<number>();
    for (const m of members) {
      const id =
        m.kind === "dot"
          ? m.instr.result.id
          : m.kind === "element" && m.member.kind === "store"
            ? m.member.instr.result.id
            : undefined;
      if (id !== undefined && !readOutside.has(id)) locals.add(id);
    }
    return locals;
  }

  /**
   * A step as members of a pass over rows: the row count, what the step reads, and of that what
   * it reads whole (a product's vector), which the pass must not be computing row by row.
   */
  function asRowMembers(
    step: Step,
  ): { rows: Dim; members: RowMember[]; reads: Set<number>; whole: Set<number> } | undefined {
    if (step.kind === "loop") {
      if (step.shape.length !== 1) return undefined;
      const reads = new Set(step.members.flatMap((m) => [...readsThroughInlined(formulaOf(m), inlined)]));
      const members = step.members.map((member): RowMember => ({ kind: "element", member }));
      return { rows: step.shape[0]!, members, reads, whole: new Set() };
    }
    if (step.kind !== "statement") return undefined;
    const instr = step.instr;
    const reads = new Set(instr.args.map((a) => a.id));
    if (instr.op === "matvec") {
      return { rows: instr.args[0]!.shape[0]!, members: [{ kind: "dot", instr }], reads, whole: reads };
    }
    if (isTotalSum(instr) && instr.args[0]!.shape.length === 1) {
      const member: LoopMember = { kind: "sumArray", instr };
      return {
        rows: instr.args[0]!.shape[0]!,
        members: [{ kind: "element", member }],
        reads,
        whole: new Set(),
      };
    }
    if (instr.op === "vecmat") {
      const whole = new Set([instr.args[1]!.id]);
      return { rows: instr.args[1]!.shape[0]!, members: [{ kind: "accumulate", instr }], reads, whole };
    }
    return undefined;
  }
}

/** The matrix of a product in a pass over rows: A of A x (`matvec`) and of xᵀA (`vecmat`). */
function matrixOf(product: Instr): Value {
  return product.args[product.op === "matvec" ? 0 : 1]!;
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
    const read = readsThroughInlined(formulaOf(member), inlined);
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
