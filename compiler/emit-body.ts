// Emission of one straight-line body, as its schedule lays it out: statements,
// loops over the elements of vectors and matrices, inlined element-wise chains,
// and a comment tying each block to its source statement.

import type { ValueFactory } from "./builder.js";
import { statementKey } from "./derivation.js";
import { inlinedPlace, isZeroSafe, type InlinedOrigin, type Instr, type Origin, type Value } from "./ir.js";
import type { NameScope } from "./names.js";
import { printerOf, sizeCode, type EmitContext, type Operand } from "./print-ops.js";
import { schedule, type LoopMember, type RowMember, type Step } from "./schedule.js";
import { binary, fromCode, primary, type Expr } from "./ts-syntax.js";
import type { Dim, Shape } from "./shapes.js";

/** Where a body's arrays live. */
export interface Buffers {
  /**
   * The buffer for value `v` (asked once per value): `code` evaluates to it, or with
   * `optional` possibly to undefined (then a new array is made); undefined for a new array.
   */
  of(v: Value, ctx: EmitContext): { readonly code: string; readonly optional: boolean } | undefined;
}

/** What a body needs from the function it is emitted into. */
export interface BodyHost {
  helper(name: string): string;
  dimName(d: string): string;
  /** The module function a call instruction calls. */
  functionFor(instr: Instr): string;
  /**
   * The chain-rule step of a source statement (derivation.ts `backwardFormulas`): `dw = Xᵀ dz`;
   * from a seed of 1 (a gradient) or the one a backward pass is given.
   */
  backwardFormulas(statement: string, seed: "one" | "given"): readonly string[];
  /** The loop index's name, fresh in the function. */
  readonly index: string;
}

/**
 * Prints one straight-line body as its schedule (schedule.ts) lays it out: a statement per
 * value, one loop per group of element-wise values over the same elements, inlined values
 * written into their consumer's formula, and a comment where each source statement's block
 * begins.
 */
export class BodyWriter implements EmitContext {
  readonly lines: string[] = [];
  readonly usedDims = new Set<string>();
  private readonly emitter: BodyHost;
  private readonly naming: Naming;
  private readonly leaves: ReadonlyMap<number, Instr>;
  private readonly fused: ReadonlyMap<number, Instr>;
  private readonly exponentials: ReadonlyMap<number, Instr>;
  private readonly sharedExponentials: ReadonlySet<number>;
  private readonly discarded: ReadonlySet<number>;
  /** e^-|x| of each row (lane) of the loop being written, for softplus(x) and sigmoid(x). */
  private readonly exponentialsInLoop = new Map<number, string[]>();
  /** The x of which the loop being written takes both softplus(x) and sigmoid(x). */
  private sharedInStep: ReadonlySet<number> = new Set();

  /** The x of which `formulas` (with what is inlined into them) take softplus(x) and sigmoid(x). */
  private sharedIn(formulas: readonly Instr[]): Set<number> {
    const taken = { softplus: new Set<number>(), sigmoid: new Set<number>() };
    const visit = (instr: Instr) => {
      if (instr.op === "softplus" || instr.op === "sigmoid") taken[instr.op].add(instr.args[0]!.id);
      for (const a of instr.args) {
        const producer = this.fused.get(a.id);
        if (producer !== undefined) visit(producer);
      }
    };
    formulas.forEach(visit);
    return new Set(
      [...taken.softplus].filter((id) => taken.sigmoid.has(id) && this.sharedExponentials.has(id)),
    );
  }
  private readonly referenced = new Set<number>();
  private readonly buffers: Buffers | undefined;
  /** Whether the loop being written reads a vector along its rows or columns (nested loops). */
  private readsRowsOrColumns = false;
  /** The index of the element a loop's formulas compute (the loop index, or a row after it). */
  private index: string;
  /** In a pass over rows: the row after i whose formulas are written, and the rows' locals. */
  private lane: number | undefined;
  private readonly laneNames = new Map<number, string[]>();
  private readonly seed: "one" | "given";

  constructor(
    emitter: BodyHost,
    naming: Naming,
    body: readonly Instr[],
    outputs: readonly Value[],
    buffers?: Buffers,
    /** The adjoint a backward pass starts from: 1 (a gradient) or a seed it is given. */
    seed: "one" | "given" = "one",
  ) {
    this.emitter = emitter;
    this.naming = naming;
    this.buffers = buffers;
    this.seed = seed;
    this.index = emitter.index;
    const plan = schedule(body, outputs, (v) => naming.keeps(v));
    this.leaves = plan.leaves;
    this.fused = plan.inlined;
    this.exponentials = plan.exponentials;
    this.discarded = plan.discarded;
    this.sharedExponentials = plan.sharedExponentials;
    for (const [k, step] of plan.steps.entries()) {
      if (step.kind === "block") {
        // A statement whose work all moved into a pass over rows has no block of its own.
        const next = plan.steps[k + 1];
        if (next === undefined || next.kind === "block") continue;
        if (this.lines.length > 0) this.lines.push("");
        this.lines.push(
          ...blockComment(step.origin, this.blockInstrs(plan.steps, k), (key) =>
            this.emitter.backwardFormulas(key, this.seed),
          ),
        );
      } else if (step.kind === "statement") {
        const exponentials = this.exponentials.get(step.instr.result.id);
        if (exponentials !== undefined) this.declareArray(exponentials.result);
        const formula = this.scalarFormula(step.instr);
        const type = formula.literal === true ? ": number" : "";
        this.lines.push(
          this.discarded.has(step.instr.result.id)
            ? `${formula.text};`
            : `const ${this.naming.nameOf(step.instr.result)}${type} = ${formula.text};`,
        );
      } else if (step.kind === "loop") {
        this.loop(step.shape, step.members);
      } else {
        this.rows(step.rows, step.members, step.locals);
      }
    }
  }

  /** The instructions a block's steps compute (up to the next block), with what is inlined into them. */
  private blockInstrs(steps: readonly Step[], block: number): Instr[] {
    const found: Instr[] = [];
    const add = (instr: Instr) => {
      found.push(instr);
      for (const arg of instr.args) {
        const fused = this.fused.get(arg.id);
        if (fused !== undefined) add(fused);
      }
    };
    const addMember = (m: LoopMember) => {
      add(m.instr);
      if (m.kind === "sumChain") add(m.chain);
    };
    for (let k = block + 1; k < steps.length; k++) {
      const step = steps[k]!;
      if (step.kind === "block") break;
      if (step.kind === "statement") add(step.instr);
      else if (step.kind === "loop") step.members.forEach(addMember);
      else {
        for (const m of step.members) {
          if (m.kind === "element") addMember(m.member);
          else if (m.kind !== "block") add(m.instr);
        }
      }
    }
    return found;
  }

  /**
   * One pass over the rows (schedule.ts): the members' declarations, then a loop taking eight
   * rows at a time — independent sums per product, each entry of x loaded once for four rows and
   * each entry of the adjoint's product updated once for eight — and a loop over the rows left
   * over.
   */
  private rows(rows: Dim, members: readonly RowMember[], locals: ReadonlySet<number>): void {
    // What the pass reads row by row, and the source lines it computes (their own comments
    // stand inside the loop).
    const matrices = new Set<string>();
    for (const m of members) {
      if (m.kind === "dot") matrices.add(this.operand(m.instr.args[0]!).code);
      if (m.kind === "accumulate") matrices.add(this.operand(m.instr.args[1]!).code);
    }
    const lines = [
      ...new Set(
        members.flatMap((m, k) => (m.kind === "block" && !emptyBlock(members, k) ? [m.origin.line] : [])),
      ),
    ].sort((a, b) => a - b);
    if (this.lines.length > 0) this.lines.push("");
    const which = lines.length === 0 ? "" : ` (line${lines.length > 1 ? "s" : ""} ${lines.join(", ")})`;
    this.lines.push(`// one pass over the rows of ${[...matrices].join(" and ")}${which}`);
    const repairs: string[] = [];
    for (const member of members) {
      if (member.kind === "block") continue;
      const result = member.kind === "element" ? member.member.instr.result : member.instr.result;
      const name = this.naming.nameOf(result);
      // A value read only within the pass is a local of each row: `sub0`, …, `sub7`.
      if (locals.has(result.id)) {
        this.laneNames.set(
          result.id,
          range(blockRows).map((k) => this.naming.loopIndex(laneName(name, k))),
        );
        continue;
      }
      if (member.kind === "element") {
        if (member.member.kind === "store") this.declareArray(result);
        else this.lines.push(`let ${name} = 0;`);
        continue;
      }
      if (this.declareArray(result) && member.kind === "accumulate") {
        this.lines.push(`${name}.fill(0);`);
      }
      if (member.kind === "accumulate" && isZeroSafe(member.instr)) {
        const [g, a] = member.instr.args.map((v) => this.operand(v!).code);
        repairs.push(`${this.helper("repairVecmat")}(${name}, ${g}, ${a});`);
      }
    }
    const i = this.emitter.index;
    const n = this.dim(rows);
    this.lines.push(
      [
        `for (let ${i} = 0; ${i} + ${blockRows - 1} < ${n}; ${i} += ${blockRows}) {`,
        ...this.rowsBody(rows, members, blockRows),
        "}",
        `for (let ${i} = ${n} - (${n} % ${blockRows}); ${i} < ${n}; ${i}++) {`,
        ...this.rowsBody(rows, members, 1),
        "}",
      ].join("\n"),
    );
    this.lines.push(...repairs);
  }

  /** The statements computing `lanes` consecutive rows, from row i on. */
  private rowsBody(rows: Dim, members: readonly RowMember[], lanes: number): string[] {
    const i = this.emitter.index;
    const lines: string[] = [];
    const laneIndex = (k: number) => (k === 0 ? i : `${i} + ${k}`);
    const lanesOf = (f: (k: number) => string) => range(lanes).map(f);
    /** Offsets of the rows in a matrix of `cols` columns, declared on first use. */
    const offsets = new Map<string, string[]>();
    const rowOffsets = (matrix: Value): string[] => {
      const cols = this.dim(matrix.shape[1]!);
      let names = offsets.get(cols);
      if (names === undefined) {
        names = lanesOf((k) => this.naming.loopIndex(offsets.size === 0 ? `row${k}` : `row${k}_${cols}`));
        names.forEach((name, k) =>
          lines.push(`const ${name} = ${k === 0 ? `${i} * ${cols}` : `${names![k - 1]} + ${cols}`};`),
        );
        offsets.set(cols, names);
      }
      return names;
    };
    /** A matrix's entries, read into a local once per block of rows (its loops then keep it at hand). */
    const data = new Map<number, string>();
    const dataOf = (matrix: Value): string => {
      let name = data.get(matrix.id);
      if (name === undefined) {
        const code = this.operand(matrix).code;
        name = this.naming.loopIndex(`${hintFrom(code, "a")}_data`);
        lines.push(`const ${name} = ${code}.data;`);
        data.set(matrix.id, name);
      }
      return name;
    };
    const j = this.naming.loopIndex("j");
    /** The rows' factors read for products by a matrix (a vector two products read is read once). */
    const readFactors = new Map<number, string[]>();
    this.exponentialsInLoop.clear();
    this.sharedInStep = this.sharedIn(
      members.flatMap((m) =>
        m.kind !== "element" ? [] : [m.member.kind === "sumChain" ? m.member.chain : m.member.instr],
      ),
    );
    for (const member of members) {
      if (member.kind === "block") {
        if (lanes > 1 && !emptyBlock(members, members.indexOf(member))) lines.push(commentFor(member.origin));
      } else if (member.kind === "element") {
        const m = member.member;
        const local = this.laneNames.get(m.instr.result.id);
        if (local !== undefined) {
          for (let k = 0; k < lanes; k++) {
            const formula = this.atLane(k, () => this.elementFormula(m.instr, [rows]).text);
            lines.push(`const ${local[k]} = ${formula};`);
          }
        } else if (m.kind === "store" || lanes === 1) {
          for (let k = 0; k < lanes; k++) lines.push(this.atLane(k, () => this.elementStatement(m, [rows])));
        }
        if (m.kind === "store" || local !== undefined) {
          lines.push(...this.shareExponential(m.instr.result, [rows], lanes));
        } else if (lanes > 1) {
          // A sum adds the rows' terms pairwise: (t0 + t1) + (t2 + t3), ….
          const terms = range(lanes).map((k) =>
            this.atLane(k, () =>
              m.kind === "sumChain"
                ? this.elementFormula(m.chain, [rows])
                : this.elementCode(m.instr.args[0]!, [rows]),
            ),
          );
          lines.push(`${this.naming.nameOf(m.instr.result)} += ${pairwiseSum(terms).text};`);
        }
      } else if (member.kind === "dot") {
        const [a, x] = member.instr.args as [Value, Value];
        const [aCode, xCode] = [dataOf(a), this.operand(x).code];
        const at = rowOffsets(a);
        const out = this.naming.nameOf(member.instr.result);
        const sums =
          this.laneNames.get(member.instr.result.id) ??
          lanesOf((k) => this.naming.loopIndex(laneName(out, k)));
        // Four rows per sweep of x: four independent sums, each x_j loaded once for them.
        for (let first = 0; first < lanes; first += 4) {
          const group = sums.slice(first, Math.min(first + 4, lanes));
          lines.push(...group.map((s) => `let ${s} = 0;`));
          lines.push(`for (let ${j} = 0; ${j} < ${this.dim(a.shape[1]!)}; ${j}++) {`);
          if (group.length > 1) {
            const xj = this.naming.loopIndex(`${hintFrom(xCode, "x")}_j`);
            lines.push(`const ${xj} = ${xCode}[${j}]!;`);
            lines.push(...group.map((s, k) => `${s} += ${aCode}[${at[first + k]} + ${j}]! * ${xj};`));
          } else lines.push(`${group[0]} += ${aCode}[${at[first]} + ${j}]! * ${xCode}[${j}]!;`);
          lines.push("}");
        }
        // In derivative code a zero term contributes 0 even against an infinite entry: a row
        // that came out NaN is summed again without its zero terms, as matvec does.
        if (isZeroSafe(member.instr)) {
          const [aName, xName] = [this.operand(a).code, xCode];
          lines.push(
            ...sums
              .slice(0, lanes)
              .map(
                (s, k) =>
                  `if (${s} !== ${s}) ${s} = ${this.helper("matvecRow")}(${aName}, ${laneIndex(k)}, ${xName});`,
              ),
          );
        }
        if (!this.laneNames.has(member.instr.result.id)) {
          lines.push(...sums.slice(0, lanes).map((s, k) => `${out}[${laneIndex(k)}] = ${s};`));
        }
      } else {
        const [g, a] = member.instr.args as [Value, Value];
        const aCode = dataOf(a);
        const at = rowOffsets(a);
        // Each row's factor: a local of the pass, or read once before the loop over the row.
        let factors = this.laneNames.get(g.id) ?? readFactors.get(g.id);
        if (factors === undefined) {
          // Named after the value they are rows of (dresidual_row0, …): one set per value, no clash.
          const names = lanesOf((k) => this.naming.loopIndex(`${this.naming.nameOf(g)}_row${k}`));
          names.forEach((f, k) =>
            lines.push(`const ${f} = ${this.atLane(k, () => this.elementCode(g, [rows]).text)};`),
          );
          readFactors.set(g.id, names);
          factors = names;
        }
        factors = factors.slice(0, lanes);
        const terms = factors.map((f, k) => binary(primary(f), "*", primary(`${aCode}[${at[k]} + ${j}]!`)));
        const sum = pairwiseSum(terms);
        const out = this.naming.nameOf(member.instr.result);
        lines.push(
          `for (let ${j} = 0; ${j} < ${this.dim(a.shape[1]!)}; ${j}++) ${out}[${j}] = ${binary(primary(`${out}[${j}]!`), "+", sum).text};`,
        );
      }
    }
    return lines;
  }

  /** `build()` with element reads in row i + k of a pass over rows (its locals, or element i + k). */
  private atLane<T>(k: number, build: () => T): T {
    const i = this.emitter.index;
    this.index = k === 0 ? i : `${i} + ${k}`;
    this.lane = k;
    try {
      return build();
    } finally {
      this.index = i;
      this.lane = undefined;
    }
  }

  /** The statement computing one element of a loop member. */
  private elementStatement(member: LoopMember, shape: Shape): string {
    const name = this.naming.nameOf(member.instr.result);
    if (member.kind === "sumChain") return `${name} += ${this.elementFormula(member.chain, shape).text};`;
    if (member.kind === "sumArray")
      return `${name} += ${this.elementCode(member.instr.args[0]!, shape).text};`;
    const element = shape.length === 1 ? `${name}[${this.index}]` : `${name}.data[${this.index}]`;
    return `${element} = ${this.elementFormula(member.instr, shape).text};`;
  }

  /** One loop over the elements of `shape`: the members' declarations, then the loop. */
  private loop(shape: Shape, members: readonly LoopMember[]): void {
    const i = this.emitter.index;
    const bodies: string[] = [];
    this.readsRowsOrColumns = false;
    this.exponentialsInLoop.clear();
    this.sharedInStep = this.sharedIn(members.map((m) => (m.kind === "sumChain" ? m.chain : m.instr)));
    // Products guarded by one scalar (dw[i] = dz === 0 ? 0 : x[i] * dz) test it once, outside
    // the loop; a guard that is a nonzero constant (a unit direction's 1) not at all.
    const guards = members.map((m) => (m.kind === "store" ? scalarGuard(m.instr) : undefined));
    const guardValue = guards[0]?.guard;
    const shared =
      guardValue !== undefined && guards.every((g) => g !== undefined && g.guard.id === guardValue.id);
    const constant = guardValue === undefined ? undefined : this.leaves.get(guardValue.id);
    const testOnce = shared && !(constant?.op === "const" && constant.attrs.value === 0);
    const fills: string[] = [];
    members.forEach((member, k) => {
      if (member.kind === "store") {
        const reused = this.declareArray(member.instr.result);
        const array = `${this.naming.nameOf(member.instr.result)}${shape.length === 1 ? "" : ".data"}`;
        if (reused) fills.push(`${array}.fill(0);`);
      } else this.lines.push(`let ${this.naming.nameOf(member.instr.result)} = 0;`);
      const computed = testOnce ? { kind: "store" as const, instr: guards[k]!.unguarded } : member;
      bodies.push(this.elementStatement(computed, shape));
      if (member.kind === "store") bodies.push(...this.shareExponential(member.instr.result, shape));
    });
    const body = bodies.length === 1 ? ` ${bodies[0]!}` : ` {\n${bodies.join("\n")}\n}`;
    let loop: string;
    if (!this.readsRowsOrColumns) loop = `for (let ${i} = 0; ${i} < ${sizeCode(shape, this)}; ${i}++)${body}`;
    else {
      // A vector read along the rows or columns: nested loops index it directly (no division or
      // remainder per element), and i still counts the elements.
      const row = this.naming.loopIndex("row");
      const column = this.naming.loopIndex("col");
      loop = [
        `for (let ${row} = 0, ${i} = 0; ${row} < ${this.dim(shape[0]!)}; ${row}++) {`,
        `for (let ${column} = 0; ${column} < ${this.dim(shape[1]!)}; ${column}++, ${i}++)${body}`,
        "}",
      ].join("\n");
    }
    if (!testOnce || constant?.op === "const") this.lines.push(loop);
    else {
      const test = this.operand(guardValue!).code;
      if (!loop.includes("\n") && fills.length <= 1) {
        // One line each, as prettier prints them: `if (dz !== 0) for (…) dw[i] = x[i] * dz;`.
        this.lines.push(
          fills.length === 0 ? `if (${test} !== 0) ${loop}` : `if (${test} === 0) ${fills[0]!}\nelse ${loop}`,
        );
      } else if (fills.length === 0) this.lines.push(`if (${test} !== 0) {\n${loop}\n}`);
      else this.lines.push(`if (${test} === 0) {\n${fills.join("\n")}\n} else {\n${loop}\n}`);
    }
  }

  /**
   * `const v = <its buffer, or a new array>;` for a value a loop or a kernel fills in; whether
   * it may be a buffer (holding what the last call left).
   */
  private declareArray(v: Value): boolean {
    const shape = v.shape;
    const fresh =
      shape.length === 1
        ? `new Float64Array(${sizeCode(shape, this)})`
        : `${this.helper("matrix")}(${this.dim(shape[0]!)}, ${this.dim(shape[1]!)})`;
    const buffer = this.buffers?.of(v, this);
    const array = buffer === undefined ? fresh : buffer.optional ? `${buffer.code} ?? ${fresh}` : buffer.code;
    this.lines.push(`const ${this.naming.nameOf(v)} = ${array};`);
    return buffer !== undefined;
  }

  functionFor(instr: Instr): string {
    return this.emitter.functionFor(instr);
  }

  /** Locals holding a call's record, by the call's code. */
  private readonly records = new Map<string, string>();

  once(code: string, hint: string): string {
    let name = this.records.get(code);
    if (name === undefined) {
      name = this.naming.fresh(hint);
      this.records.set(code, name);
      this.lines.push(`const ${name} = ${code};`);
    }
    return name;
  }

  helper(name: string): string {
    return this.emitter.helper(name);
  }

  into(instr: Instr): string | undefined {
    return this.buffers?.of(instr.result, this)?.code;
  }

  exponentialsOf(instr: Instr): string | undefined {
    const exponentials = this.exponentials.get(instr.result.id);
    return exponentials === undefined ? undefined : this.operand(exponentials.result).code;
  }

  dim(d: Dim): string {
    if (typeof d === "number") return String(d);
    this.usedDims.add(d);
    return this.emitter.dimName(d);
  }

  usesValue(v: Value): boolean {
    return this.referenced.has(v.id);
  }

  /** The TypeScript for a whole value: a literal, a dimension, or its local name. */
  operand(v: Value): Operand {
    const leaf = this.leaves.get(v.id);
    if (leaf !== undefined) {
      const def = printerOf(leaf);
      if (def.kind === "expression") return { code: def.code([], leaf, this), shape: v.shape };
    }
    this.referenced.add(v.id);
    return { code: this.naming.nameOf(v), shape: v.shape };
  }

  /** A scalar operand inside a formula: fused producers are written out in place. */
  private scalarCode(v: Value): Expr {
    const producer = this.fused.get(v.id);
    return producer === undefined ? fromCode(this.operand(v).code) : this.scalarFormula(producer);
  }

  private scalarFormula(instr: Instr): Expr {
    const emit = printerOf(instr);
    if (emit.kind === "expression")
      return fromCode(
        emit.code(
          instr.args.map((a) => this.operand(a)),
          instr,
          this,
        ),
      );
    return emit.scalar(
      instr.args.map((a, k) =>
        emit.conditionOperands?.includes(k)
          ? this.conditionCode(a, (v) => this.scalarCode(v))
          : this.scalarCode(a),
      ),
      this,
    );
  }

  /** An operand used as a condition: a fused comparison as a boolean, else a mask test. */
  private conditionCode(v: Value, code: (v: Value) => Expr, shape?: Shape): Expr {
    const producer = this.fused.get(v.id);
    const emit = producer === undefined ? undefined : printerOf(producer);
    if (producer !== undefined && emit?.kind === "elementwise" && emit.condition !== undefined) {
      const args = producer.args.map((a) =>
        shape === undefined ? this.scalarCode(a) : this.elementCode(a, shape),
      );
      return emit.condition(args);
    }
    return binary(code(v), "!==", primary("0"));
  }

  /** Element `i` of an operand inside a loop producing `shape`. */
  private elementCode(v: Value, shape: Shape): Expr {
    const producer = this.fused.get(v.id);
    if (producer?.op === "broadcast") return this.broadcastElement(producer);
    if (producer !== undefined) return this.elementFormula(producer, shape);
    const local = this.lane === undefined ? undefined : this.laneNames.get(v.id);
    if (local !== undefined) return primary(local[this.lane!]!);
    const i = this.index;
    if (v.shape.length === 0) return this.scalarCode(v);
    const code = this.operand(v).code;
    if (v.shape.length === 2) return primary(`${code}.data[${i}]!`);
    if (shape.length === 2) return this.alongRows(code);
    return primary(`${code}[${i}]!`);
  }

  /** The element of a scalar or vector filled out to a loop's shape, read from the source itself. */
  private broadcastElement(instr: Instr<"broadcast">): Expr {
    const source = instr.args[0]!;
    if (source.shape.length === 0) return this.scalarCode(source);
    const code = this.operand(source).code;
    // A vector becomes the rows (each row is v) or, along axis 1, the columns.
    return instr.attrs.axis === 1 ? this.alongColumns(code) : this.alongRows(code);
  }

  /** Element (row, col) of vector `code` filled out to every row: its element col. */
  private alongRows(code: string): Expr {
    this.readsRowsOrColumns = true;
    return primary(`${code}[${this.naming.loopIndex("col")}]!`);
  }

  /** Element (row, col) of vector `code` filled out to every column: its element row. */
  private alongColumns(code: string): Expr {
    this.readsRowsOrColumns = true;
    return primary(`${code}[${this.naming.loopIndex("row")}]!`);
  }

  private elementFormula(instr: Instr, shape: Shape): Expr {
    const emit = printerOf(instr);
    if (emit.kind !== "elementwise") throw new Error(`internal: cannot fuse '${instr.op}' into a loop`);
    const args = instr.args.map((a, k) =>
      emit.conditionOperands?.includes(k)
        ? this.conditionCode(a, (v) => this.elementCode(v, shape), shape)
        : this.elementCode(a, shape),
    );
    // softplus(x) and sigmoid(x) of one x share e^-|x| (their runtime functions take it).
    const shared = this.exponentialsInLoop.get(instr.args[0]?.id ?? -1);
    if (shared !== undefined && (instr.op === "softplus" || instr.op === "sigmoid")) {
      args.push(primary(shared[this.lane ?? 0]!));
    }
    return emit.scalar(args, this);
  }

  /**
   * After a loop computes x (for `lanes` rows): `const exp_x = Math.exp(-Math.abs(x));`, when
   * the body takes both softplus(x) and sigmoid(x).
   */
  private shareExponential(v: Value, shape: Shape, passLanes?: number): string[] {
    if (!this.sharedInStep.has(v.id)) return [];
    const name = this.naming.nameOf(v);
    if (passLanes === undefined) {
      const e = this.naming.loopIndex(`exp_${name}`);
      this.exponentialsInLoop.set(v.id, [e]);
      return [`const ${e} = Math.exp(-Math.abs(${this.elementCode(v, shape).text}));`];
    }
    const names = range(passLanes).map((k) => this.naming.loopIndex(laneName(`exp_${name}`, k)));
    this.exponentialsInLoop.set(v.id, names);
    return names.map((e, k) => {
      const x = this.atLane(k, () => this.elementCode(v, shape)).text;
      return `const ${e} = Math.exp(-Math.abs(${x}));`;
    });
  }
}

/**
 * Local names of values within one generated function: each value's name hint (kept by the
 * function's ValueFactory) resolved once to an identifier unique in the function's scope.
 */
export class Naming {
  private readonly scope: NameScope;
  private readonly names: Map<number, string>;
  private readonly values: ValueFactory;
  private readonly indices = new Map<string, string>();

  constructor(scope: NameScope, names: ReadonlyMap<number, string>, values: ValueFactory) {
    this.scope = scope;
    this.names = new Map(names);
    this.values = values;
  }

  nameOf(v: Value): string {
    let name = this.names.get(v.id);
    if (name === undefined) {
      name = this.scope.fresh(this.values.nameOf(v));
      this.names.set(v.id, name);
    }
    return name;
  }

  /** Whether `v` carries a name the user bound, or is a share of a total derivative: it keeps a statement of its own. */
  keeps(v: Value): boolean {
    return this.values.isSourceNamed(v) || this.values.hintOf(v).share === true;
  }

  fresh(hint: string): string {
    return this.scope.fresh(hint);
  }

  /** A loop index's name: fresh the first time, then the same for every loop of the function. */
  loopIndex(hint: string): string {
    let name = this.indices.get(hint);
    if (name === undefined) {
      name = this.scope.fresh(hint);
      this.indices.set(hint, name);
    }
    return name;
  }

  fork(): Naming {
    const forked = new Naming(this.scope.clone(), this.names, this.values);
    for (const [hint, name] of this.indices) forked.indices.set(hint, name);
    return forked;
  }
}

/**
 * A product or quotient guarded by a scalar adjoint (`g === 0 ? 0 : d * g`), and the same
 * operation unguarded: where g is 0 every element is 0, so the test can be made once.
 */
function scalarGuard(instr: Instr): { guard: Value; unguarded: Instr } | undefined {
  const [first, second] = instr.args;
  if (instr.op === "mulNoNan" && second !== undefined && second.shape.length === 0) {
    return { guard: second, unguarded: { ...instr, op: "mul", attrs: {} } as Instr };
  }
  if (instr.op === "divNoNan" && first !== undefined && first.shape.length === 0) {
    return { guard: first, unguarded: { ...instr, op: "div", attrs: {} } as Instr };
  }
  return undefined;
}

/** Rows a pass over rows computes per iteration: the products' entries loaded once for eight. */
const blockRows = 8;

/** A name hint from an operand's code: the code when it is an identifier, else `fallback`. */
function hintFrom(code: string, fallback: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(code) ? code : fallback;
}

/** Whether a pass's block comment at `k` heads nothing (its statements went around the pass). */
function emptyBlock(members: readonly RowMember[], k: number): boolean {
  const next = members[k + 1];
  return next === undefined || next.kind === "block";
}

/** Row k's local for a value of a pass over rows: `sub0`, and `product_2_0` for `product_2`. */
function laneName(name: string, k: number): string {
  return /[0-9]$/.test(name) ? `${name}_${k}` : `${name}${k}`;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, k) => k);
}

/** t0 + t1 + … added pairwise, ((t0 + t1) + (t2 + t3)) + …, so the additions overlap. */
function pairwiseSum(terms: readonly Expr[]): Expr {
  if (terms.length === 1) return terms[0]!;
  const half = terms.length >> 1;
  return binary(pairwiseSum(terms.slice(0, half)), "+", pairwiseSum(terms.slice(half)));
}

/** The comment that ties a block of generated code to its source statement. */
/**
 * A block's comment: its statement, or — for the work of a function inlined there — the
 * called function's own lines: `// line 25 → predict, line 16: H = tanh(X @ W1 + b1)` when
 * the block is that line alone, else the statement, then each inlined line it holds. In the
 * backward pass, each statement's chain-rule step follows it (`//   dw = Xᵀ dz`).
 */
function blockComment(
  origin: Origin,
  instrs: readonly Instr[],
  formulas: (statement: string) => readonly string[],
): string[] {
  const inlined = new Map<string, InlinedOrigin>();
  let own = false;
  for (const instr of instrs) {
    // Only the block's own statement: a value of another one may be written into its formulas.
    if (instr.origin?.line !== origin.line || instr.origin.text !== origin.text) continue;
    const inner = instr.origin.inlined;
    if (inner === undefined) own = true;
    else inlined.set(`${inlinedPlace(inner)}: ${inner.text}`, inner);
  }
  const steps = (inner: InlinedOrigin | undefined, indent: string) =>
    origin.backward === true && origin.tangent !== true
      ? formulas(statementKey(origin, inner)).map((step) => `//${indent}${step}`)
      : [];
  const pass = passOf(origin);
  if (inlined.size === 1 && !own) {
    const [[place, inner]] = [...inlined] as [[string, InlinedOrigin]];
    return [`// ${pass}${place}`, ...steps(inner, "   ")];
  }
  const lines = [commentFor(origin), ...(own ? steps(undefined, "   ") : [])];
  for (const inner of inlined.values()) {
    // The block's comment names the calling line already: `→ predict, line 16: …`.
    const place = inlinedPlace(inner).replace(/^line \d+ /, "");
    lines.push(`//   ${place}: ${inner.text}`, ...steps(inner, "     "));
  }
  return lines;
}

const passOf = (origin: Origin) =>
  `${origin.tangent ? "tangent of " : ""}${origin.backward ? "backward through " : ""}`;

function commentFor(origin: Origin): string {
  return `// ${passOf(origin)}line ${origin.line}: ${origin.text}`;
}
