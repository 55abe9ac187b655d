// Emission of one straight-line body: a statement per instruction, loops for
// element-wise operations over vectors and matrices, fusion of element-wise
// chains, and a comment tying each block to its source statement.

import type { Instr, Origin, Value } from "./ir.js";
import type { NameScope } from "./names.js";
import { printers, sizeCode, type EmitContext, type Operand } from "./print-ops.js";
import { shapesEqual, type Dim, type Shape } from "./shapes.js";

/** What a body needs from the function it is emitted into. */
export interface BodyHost {
  helper(name: string): string;
  dimName(d: string): string;
  /** The loop index's name, fresh in the function. */
  readonly index: string;
}

/**
 * Writes the statements of one straight-line body, a comment per source line.
 *
 * Fusion: a single-use element-wise temporary of the same source statement is
 * written into its consumer's expression instead of a line of its own, so an
 * element-wise chain over vectors becomes one loop with no temporary arrays
 * (a scalar temporary becomes part of its consumer's formula).
 */
export class BodyWriter implements EmitContext {
  readonly lines: string[] = [];
  readonly usedDims = new Set<string>();
  private readonly emitter: BodyHost;
  private readonly naming: Naming;
  private readonly leaves = new Map<number, Instr>();
  private readonly fused = new Map<number, Instr>();
  private readonly referenced = new Set<number>();

  constructor(emitter: BodyHost, naming: Naming, body: readonly Instr[], outputs: readonly Value[]) {
    this.emitter = emitter;
    this.naming = naming;
    for (const instr of body)
      if (instr.op === "const" || instr.op === "dim") this.leaves.set(instr.result.id, instr);
    const statements = body.filter((i) => !this.leaves.has(i.result.id));
    this.chooseFusions(statements, outputs);
    let origin: string | undefined;
    let open: OpenLoop | undefined;
    const close = () => {
      if (open !== undefined) this.lines.push(...closeLoop(open, this.emitter.index));
      open = undefined;
    };
    for (const instr of statements) {
      if (this.fused.has(instr.result.id)) continue;
      const comment = commentFor(instr.origin);
      if (comment !== undefined && comment !== origin) {
        close();
        if (this.lines.length > 0) this.lines.push("");
        this.lines.push(comment);
        origin = comment;
      }
      const piece = this.statement(instr, open);
      if (piece.loop === undefined) {
        close();
        this.lines.push(...piece.declarations);
        continue;
      }
      // Loops over the same elements run as one, unless one reads what another is still summing.
      const { size, shape, body, accumulator } = piece.loop;
      const fits =
        open !== undefined &&
        shapesEqual(open.shape, shape) &&
        ![...open.accumulators].some((a) => mentions(body, a));
      if (!fits) {
        close();
        open = { size, shape, declarations: [], bodies: [], accumulators: new Set() };
      }
      open!.declarations.push(...piece.declarations);
      open!.bodies.push(body);
      if (accumulator !== undefined) open!.accumulators.add(accumulator);
    }
    close();
  }

  private chooseFusions(statements: readonly Instr[], outputs: readonly Value[]): void {
    const uses = new Map<number, number>();
    const consumer = new Map<number, Instr>();
    for (const instr of statements) {
      for (const arg of instr.args) {
        uses.set(arg.id, (uses.get(arg.id) ?? 0) + 1);
        consumer.set(arg.id, instr);
      }
    }
    const pinned = new Set(outputs.map((v) => v.id));
    // How many operations a fused expression holds; past a limit it gets a line of its own,
    // which keeps expressions readable (and within what prettier can format).
    const size = new Map<number, number>();
    const sizeOf = (instr: Instr) =>
      1 + instr.args.reduce((acc, a) => acc + (this.fused.has(a.id) ? (size.get(a.id) ?? 0) : 0), 0);
    for (const instr of statements) {
      const v = instr.result;
      size.set(v.id, sizeOf(instr));
      const user = consumer.get(v.id);
      if (user === undefined || uses.get(v.id) !== 1 || pinned.has(v.id) || v.fromSource) continue;
      if (size.get(v.id)! > maxFusedOperations) continue;
      if (user.origin !== instr.origin) continue;
      // A sum that accumulates a fused loop is a statement of its own.
      if (isTotalSum(instr) && this.fused.has(instr.args[0]!.id)) continue;
      const elementwiseProducer = printers[instr.op].kind === "elementwise";
      if (isTotalSum(user) && v.shape.length > 0 && elementwiseProducer) {
        // sum(element-wise chain): accumulate in the chain's loop, no array.
        this.fused.set(v.id, instr);
        continue;
      }
      const userEmit = printers[user.op];
      if (userEmit.kind !== "elementwise" || occurrences(user, user.args.indexOf(v)) !== 1) continue;
      const scalarIntoScalar = v.shape.length === 0 && user.result.shape.length === 0;
      const loopIntoLoop =
        v.shape.length > 0 && elementwiseProducer && shapesEqual(v.shape, user.result.shape);
      if (scalarIntoScalar || loopIntoLoop) this.fused.set(v.id, instr);
    }
  }

  helper(name: string): string {
    return this.emitter.helper(name);
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
      const def = printers[leaf.op];
      if (def.kind === "expression") return { code: def.code([], leaf, this), shape: v.shape };
    }
    this.referenced.add(v.id);
    return { code: this.naming.nameOf(v), shape: v.shape };
  }

  /** A scalar operand inside a formula: fused producers are written out in place. */
  private scalarCode(v: Value): string {
    const producer = this.fused.get(v.id);
    return producer === undefined ? atom(this.operand(v).code) : `(${this.scalarFormula(producer)})`;
  }

  private scalarFormula(instr: Instr): string {
    const emit = printers[instr.op];
    if (emit.kind === "expression")
      return emit.code(
        instr.args.map((a) => this.operand(a)),
        instr,
        this,
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
  private conditionCode(v: Value, code: (v: Value) => string, shape?: Shape): string {
    const producer = this.fused.get(v.id);
    const emit = producer === undefined ? undefined : printers[producer.op];
    if (producer !== undefined && emit?.kind === "elementwise" && emit.condition !== undefined) {
      const args = producer.args.map((a) =>
        shape === undefined ? this.scalarCode(a) : this.elementCode(a, shape),
      );
      return `(${emit.condition(args)})`;
    }
    return `${code(v)} !== 0`;
  }

  /** Element `i` of an operand inside a loop producing `shape`. */
  private elementCode(v: Value, shape: Shape): string {
    const producer = this.fused.get(v.id);
    if (producer !== undefined) return `(${this.elementFormula(producer, shape)})`;
    const i = this.emitter.index;
    if (v.shape.length === 0) return this.scalarCode(v);
    const code = this.operand(v).code;
    if (v.shape.length === 2) return `${code}.data[${i}]!`;
    if (shape.length === 2) return `${code}[${i} % ${this.dim(shape[1]!)}]!`;
    return `${code}[${i}]!`;
  }

  private elementFormula(instr: Instr, shape: Shape): string {
    const emit = printers[instr.op];
    if (emit.kind !== "elementwise") throw new Error(`internal: cannot fuse '${instr.op}' into a loop`);
    return emit.scalar(
      instr.args.map((a, k) =>
        emit.conditionOperands?.includes(k)
          ? this.conditionCode(a, (v) => this.elementCode(v, shape), shape)
          : this.elementCode(a, shape),
      ),
      this,
    );
  }

  /** The code for one instruction; `open` is a loop it may join. */
  private statement(instr: Instr, open?: OpenLoop): Piece {
    const emit = printers[instr.op];
    const name = this.naming.nameOf(instr.result);
    const shape = instr.result.shape;
    const i = this.emitter.index;
    const summed = isTotalSum(instr) ? this.fused.get(instr.args[0]!.id) : undefined;
    if (summed !== undefined) {
      const body = `${name} += ${this.elementFormula(summed, summed.result.shape)};`;
      const size = sizeCode(summed.result.shape, this);
      return {
        declarations: [`let ${name} = 0;`],
        loop: { size, shape: summed.result.shape, body, accumulator: name },
      };
    }
    // A sum of an array that a loop over the same elements is producing joins that loop.
    const array = instr.args[0];
    if (
      isTotalSum(instr) &&
      array !== undefined &&
      open !== undefined &&
      shapesEqual(array.shape, open.shape)
    ) {
      const body = `${name} += ${this.elementCode(array, array.shape)};`;
      return {
        declarations: [`let ${name} = 0;`],
        loop: { size: open.size, shape: open.shape, body, accumulator: name },
      };
    }
    if (shape.length === 0 || emit.kind === "expression") {
      return { declarations: [`const ${name} = ${this.scalarFormula(instr)};`] };
    }
    // Element-wise over a vector or matrix: a loop over the elements.
    const formula = this.elementFormula(instr, shape);
    const size = sizeCode(shape, this);
    if (shape.length === 1) {
      return {
        declarations: [`const ${name} = new Float64Array(${size});`],
        loop: { size, shape, body: `${name}[${i}] = ${formula};` },
      };
    }
    return {
      declarations: [
        `const ${name} = ${this.helper("matrix")}(${this.dim(shape[0]!)}, ${this.dim(shape[1]!)});`,
      ],
      loop: { size, shape, body: `${name}.data[${i}] = ${formula};` },
    };
  }
}

/** The code for one instruction: declarations, then possibly a loop over elements. */
interface Piece {
  readonly declarations: readonly string[];
  readonly loop?: {
    readonly size: string;
    readonly shape: Shape;
    readonly body: string;
    readonly accumulator?: string;
  };
}

/** Loops over the same elements being gathered into one. */
interface OpenLoop {
  readonly size: string;
  readonly shape: Shape;
  readonly declarations: string[];
  readonly bodies: string[];
  /** Sums in progress: later statements may not read them inside the loop. */
  readonly accumulators: Set<string>;
}

function closeLoop(loop: OpenLoop, i: string): string[] {
  const head = `for (let ${i} = 0; ${i} < ${loop.size}; ${i}++)`;
  const body = loop.bodies.length === 1 ? ` ${loop.bodies[0]!}` : ` {\n${loop.bodies.join("\n")}\n}`;
  return [...loop.declarations, head + body];
}

function mentions(code: string, name: string): boolean {
  return new RegExp(`(^|[^\\p{L}\\p{N}_$])${name.replace(/\$/g, "\\$")}($|[^\\p{L}\\p{N}_$])`, "u").test(
    code,
  );
}

/** Local names of values within one generated function. */
export class Naming {
  private readonly scope: NameScope;
  private readonly names: Map<number, string>;

  constructor(scope: NameScope, names: ReadonlyMap<number, string>) {
    this.scope = scope;
    this.names = new Map(names);
  }

  nameOf(v: Value): string {
    let name = this.names.get(v.id);
    if (name === undefined) {
      name = this.scope.fresh(v.name);
      this.names.set(v.id, name);
    }
    return name;
  }

  fresh(hint: string): string {
    return this.scope.fresh(hint);
  }

  fork(): Naming {
    return new Naming(this.scope.clone(), this.names);
  }
}

/** Wraps negative literals so they can stand as an operand of any operator. */
function atom(code: string): string {
  return code.startsWith("-") ? `(${code})` : code;
}

/** The comment that ties a block of generated code to its source statement. */
function commentFor(origin: Origin | undefined): string | undefined {
  if (origin === undefined) return undefined;
  const pass = `${origin.tangent ? "tangent of " : ""}${origin.backward ? "backward through " : ""}`;
  return `// ${pass}line ${origin.line}: ${origin.text}`;
}

/** The most operations one fused expression holds. */
const maxFusedOperations = 12;

/** A sum of all elements of its operand. */
function isTotalSum(instr: Instr): boolean {
  return instr.op === "sum" && instr.attrs.axis === undefined;
}

/** How many times an element-wise formula mentions its operand `k`. */
function occurrences(instr: Instr, k: number): number {
  const emit = printers[instr.op];
  if (emit.kind !== "elementwise") return 1;
  const marker = "\u0000";
  const probe = emit.scalar(
    instr.args.map((_, j) => (j === k ? marker : "x")),
    { helper: (n) => n, dim: (d) => String(d) },
  );
  return probe.split(marker).length - 1;
}
