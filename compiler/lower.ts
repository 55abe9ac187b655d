// Lowering: a checked function to IR in A-normal form, one primitive per
// intermediate value (the paper's step 1: introduce intermediate variables).
// Composite built-ins become primitives here (`mean` is `sum / n`, `norm1` is
// `sum(abs(x))`), and calls to earlier functions are inlined, so derivatives
// flow through every argument of a call — except calls of a function whose body
// inlining would copy again and again (`callsAsCalls`): those stay calls, and
// their derivatives call the callee's own pullback and pushforward.

import type { BinaryExpr, CallExpr, ComparisonOperator, Expr, Statement } from "./ast.js";
import { Builder, ValueFactory } from "./builder.js";
import { builtinOf } from "./builtins.js";
import type { CheckedFunction } from "./check.js";
import { expressionName, sourceName, type IRFunction, type Origin, type Value } from "./ir.js";
import type { Op } from "./primitives.js";
import type { Dim, Shape } from "./shapes.js";

export interface LoweredFunction {
  readonly ir: IRFunction;
  readonly values: ValueFactory;
  /** The smallest size each symbolic dimension must have, from indexing like x[3]. */
  readonly minimumDims: ReadonlyMap<string, number>;
}

const comparisonOps: Record<ComparisonOperator, Op> = {
  "<": "lt",
  "<=": "le",
  ">": "gt",
  ">=": "ge",
  "==": "eq",
  "!=": "ne",
};

const binaryOps = { "+": "add", "-": "sub", "*": "mul", "/": "div", "^": "pow" } as const;

/**
 * The most operations a function's body (counting what it inlines) may have and still be
 * inlined at several places in one function: past it, copies would grow the output with every
 * level of a tree of calls (g calls f twice, h calls g twice, …), so the function is generated
 * as a function of its own and called.
 */
export const maxInlinedCopiesSize = 32;

/**
 * For each function, the functions it calls as calls rather than inlining them: those whose
 * body inlining would copy more than once into it (directly or through the functions it
 * inlines) and that have more than `maxInlinedCopiesSize` operations. Decided per function, so
 * a function that calls g once inlines g whatever other functions do; calls with the same
 * arguments written the same way count once (they are one value).
 */
export function callsAsCalls(
  functions: readonly CheckedFunction[],
  source: string,
): Map<string, Set<string>> {
  const names = new Set(functions.map((f) => f.name));
  const callsOf = new Map(functions.map((f) => [f.name, calledFunctions(f, names, source)]));
  /** Copies of each function in `fn` when the functions in `boundary` are not expanded. */
  const copiesIn = (fn: string, boundary: ReadonlySet<string>, memo: Map<string, Map<string, number>>) => {
    const count = (name: string): Map<string, number> => {
      const known = memo.get(name);
      if (known !== undefined) return known;
      const within = new Map<string, number>();
      for (const callee of callsOf.get(name)!.calls) {
        within.set(callee, (within.get(callee) ?? 0) + 1);
        if (boundary.has(callee)) continue;
        for (const [inner, n] of count(callee)) within.set(inner, (within.get(inner) ?? 0) + n);
      }
      memo.set(name, within);
      return within;
    };
    return count(fn);
  };
  const size = new Map<string, number>();
  const decided = new Map<string, Set<string>>();
  // Full inlining's copies do not depend on the function deciding: counted once for all.
  const inlinedCopies = new Map<string, Map<string, number>>();
  const noBoundary = new Set<string>();
  for (const fn of functions) {
    const large = (g: string) => size.get(g)! > maxInlinedCopiesSize;
    // Every large function inlining would copy twice; then, with those kept as calls, only
    // those still copied twice (a function copied only inside another one kept as a call is
    // inlined there instead).
    const candidates = new Set(
      [...copiesIn(fn.name, noBoundary, inlinedCopies)].filter(([g, n]) => n > 1 && large(g)).map(([g]) => g),
    );
    const copies = copiesIn(fn.name, candidates, new Map());
    const asCalls = new Set([...candidates].filter((g) => (copies.get(g) ?? 0) > 1));
    decided.set(fn.name, asCalls);
    const { operations, calls } = callsOf.get(fn.name)!;
    size.set(
      fn.name,
      calls.reduce((acc, c) => acc + (asCalls.has(c) ? 1 : size.get(c)!), operations),
    );
  }
  return decided;
}

/**
 * A function's own operations, and its calls of the module's functions: one entry per call,
 * calls written the same way (the same value) once.
 */
function calledFunctions(fn: CheckedFunction, names: ReadonlySet<string>, source: string) {
  const calls: string[] = [];
  const written = new Set<string>();
  let operations = 0;
  // An explicit stack: a chain of thousands of `+` is deeper than the call stack allows.
  const stack: Expr[] = fn.decl.body.map((s) => s.value);
  for (let e = stack.pop(); e !== undefined; e = stack.pop()) {
    switch (e.kind) {
      case "number":
      case "pi":
      case "name":
        break;
      case "unary":
      case "transpose":
        operations++;
        stack.push(e.operand);
        break;
      case "binary":
      case "comparison":
        operations++;
        stack.push(e.left, e.right);
        break;
      case "index":
        operations++;
        stack.push(e.target);
        break;
      case "array":
        operations++;
        stack.push(...e.elements);
        break;
      case "call":
        if (!names.has(e.callee.name)) operations++;
        else {
          const text = source.slice(e.span.start.offset, e.span.end.offset).replace(/\s+/g, "");
          if (!written.has(text)) calls.push(e.callee.name);
          written.add(text);
        }
        stack.push(...e.args, ...e.keywordArgs.map((k) => k.value));
        break;
    }
  }
  return { operations, calls };
}

export function lowerFunction(
  fn: CheckedFunction,
  callees: ReadonlyMap<string, CheckedFunction>,
  source: string,
  called: ReadonlyMap<string, LoweredFunction> = new Map(),
): LoweredFunction {
  // `called`: the functions this one calls as calls, as lowered.
  const values = new ValueFactory();
  const builder = new Builder(values);
  const params = fn.params.map((p) => values.make(p.shape, sourceName(p.name)));
  const dims = new Map<string, Dim>(fn.dims.map((d) => [d, d]));
  const lowering = new Lowering(builder, callees, source, called);
  const result = lowering.body(fn, params, dims);
  if (result === undefined) throw new Error(`internal: function '${fn.name}' lowered without a result`);
  return {
    ir: {
      name: fn.name,
      params,
      paramNames: fn.params.map((p) => p.name),
      body: builder.body,
      outputs: [{ name: "value", value: result }],
    },
    values,
    minimumDims: lowering.minimumDims,
  };
}

class Lowering {
  readonly minimumDims = new Map<string, number>();
  private readonly b: Builder;
  private readonly callees: ReadonlyMap<string, CheckedFunction>;
  private readonly source: string;
  /** The functions called as calls (not inlined), as lowered. */
  private readonly called: ReadonlyMap<string, LoweredFunction>;

  constructor(
    b: Builder,
    callees: ReadonlyMap<string, CheckedFunction>,
    source: string,
    called: ReadonlyMap<string, LoweredFunction>,
  ) {
    this.b = b;
    this.callees = callees;
    this.source = source;
    this.called = called;
  }

  /**
   * Lowers a function body with its parameters bound to `args` and its symbolic
   * dimensions to `dims` (the caller's dimensions, when inlining a call).
   */
  body(fn: CheckedFunction, args: readonly Value[], dims: ReadonlyMap<string, Dim>): Value | undefined {
    const scope = new Scope(dims);
    fn.params.forEach((p, i) => scope.values.set(p.name, args[i]!));
    const outerOrigin = this.b.origin;
    // An inlined statement belongs to the calling statement (so scheduling keeps a call's work
    // with the statement that calls it), and remembers its own line for comments.
    const via =
      outerOrigin === undefined
        ? []
        : [
            ...(outerOrigin.inlined?.via ?? []),
            { line: outerOrigin.inlined?.line ?? outerOrigin.line, callee: fn.name },
          ];
    for (const statement of fn.decl.body) {
      const own = this.originOf(statement);
      this.b.origin =
        outerOrigin === undefined
          ? own
          : { ...outerOrigin, inlined: { via, line: own.line, text: own.text } };
      const value = this.expr(statement.value, scope);
      if (value === undefined) return undefined;
      const values = this.b.values;
      if (statement.kind === "return") {
        if (
          !values.isSourceNamed(value) &&
          outerOrigin === undefined &&
          this.b.body.some((i) => i.result === value)
        ) {
          values.rename(value, expressionName("value"));
        } else if (outerOrigin !== undefined && values.hintOf(value).origin === "expression") {
          // An inlined call's result is named after the function: `predict`, whose adjoint is `dpredict`.
          values.rename(value, { base: fn.name, derivatives: [], origin: "callee" });
        }
        this.b.origin = outerOrigin;
        return value;
      }
      // A name the user binds here is kept; one bound in an inlined callee is a hint the caller may replace.
      if (!values.isSourceNamed(value)) {
        values.rename(
          value,
          outerOrigin === undefined
            ? sourceName(statement.name.name)
            : { base: statement.name.name, derivatives: [], origin: "callee" },
        );
      }
      scope.values.set(statement.name.name, value);
    }
    this.b.origin = outerOrigin;
    return undefined;
  }

  private originOf(statement: Statement): Origin {
    const text = this.source
      .slice(statement.span.start.offset, statement.span.end.offset)
      .replace(/\s+/g, " ")
      .trim();
    return { span: statement.span, text, line: statement.span.start.line };
  }

  private expr(e: Expr, scope: Scope): Value | undefined {
    const b = this.b;
    switch (e.kind) {
      case "number":
        return b.constant(e.value);
      case "pi":
        return b.constant(Math.PI);
      case "name": {
        const value = scope.values.get(e.name);
        if (value !== undefined) return value;
        return this.dimension(scope.dims.get(e.name)!);
      }
      case "unary": {
        const operand = this.expr(e.operand, scope);
        if (operand === undefined) return undefined;
        return e.operator === "-" ? b.neg(operand) : operand;
      }
      case "binary":
        return this.binaryChain(e, scope);
      case "comparison": {
        const left = this.expr(e.left, scope);
        const right = this.expr(e.right, scope);
        if (left === undefined || right === undefined) return undefined;
        return b.apply(comparisonOps[e.operator], [left, right]);
      }
      case "call":
        return this.call(e, scope);
      case "index": {
        const target = this.expr(e.target, scope);
        if (target === undefined) return undefined;
        const [index, column] = e.indices.map((i) => (i as { value: number }).value) as [number, number?];
        // Indexing with a symbolic size needs that size to be large enough, checked at run time.
        [index, column].forEach((position, axis) => {
          const dim = target.shape[axis];
          if (position !== undefined && typeof dim === "string") {
            this.minimumDims.set(dim, Math.max(this.minimumDims.get(dim) ?? 0, position + 1));
          }
        });
        return b.apply("index", [target], column === undefined ? { index } : { index, column });
      }
      case "transpose": {
        const operand = this.expr(e.operand, scope);
        if (operand === undefined) return undefined;
        // Vectors are 1-D: their transpose is the same vector.
        return operand.shape.length === 2 ? b.apply("transpose", [operand]) : operand;
      }
      case "array": {
        if (e.elements.some((el) => el.kind === "array")) {
          const rows = e.elements as readonly (Expr & { kind: "array" })[];
          const elements = this.all(
            rows.flatMap((row) => row.elements),
            scope,
          );
          const shape = [rows.length, rows[0]!.elements.length];
          return elements === undefined ? undefined : b.apply("pack", elements, { shape }, "matrix");
        }
        const elements = this.all(e.elements, scope);
        return elements === undefined ? undefined : b.apply("pack", elements);
      }
    }
  }

  /** A left-nested chain `a + b + c + …`, walked in a loop (its length is not limited by the stack). */
  private binaryChain(e: BinaryExpr, scope: Scope): Value | undefined {
    const spine: BinaryExpr[] = [];
    let node: Expr = e;
    for (; node.kind === "binary"; node = node.left) spine.push(node);
    let left = this.expr(node, scope);
    for (let i = spine.length - 1; i >= 0 && left !== undefined; i--) {
      const { operator, right: rightExpr } = spine[i]!;
      const right = this.expr(rightExpr, scope);
      if (right === undefined) return undefined;
      left = operator === "@" ? this.matmul(left, right) : this.b.apply(binaryOps[operator], [left, right]);
    }
    return left;
  }

  private all(exprs: readonly Expr[], scope: Scope): Value[] | undefined {
    const values: Value[] = [];
    for (const e of exprs) {
      const v = this.expr(e, scope);
      if (v === undefined) return undefined;
      values.push(v);
    }
    return values;
  }

  private dimension(dim: Dim): Value {
    return typeof dim === "number" ? this.b.constant(dim) : this.b.apply("dim", [], { dim }, dim);
  }

  /** The number of elements of a shape, as a value. */
  private count(shape: Shape): Value {
    const [first, ...rest] = shape.map((d) => this.dimension(d));
    return rest.reduce((acc, d) => this.b.mul(acc, d), first ?? this.b.one());
  }

  /** `@` in its four forms. */
  private matmul(left: Value, right: Value): Value {
    const op =
      left.shape.length === 1
        ? right.shape.length === 1
          ? "dot"
          : "vecmat"
        : right.shape.length === 1
          ? "matvec"
          : "matmul";
    return this.b.apply(op, [left, right]);
  }

  /** A call: an earlier function is inlined; a built-in is lowered by its table entry. */
  private call(e: CallExpr, scope: Scope): Value | undefined {
    const name = e.callee.name;
    const callee = this.callees.get(name);
    const def = builtinOf(name);
    const args = def?.takesSizes === true ? [] : this.all(e.args, scope);
    if (args === undefined) return undefined;
    if (callee !== undefined) {
      const lowered = this.called.get(name);
      return lowered === undefined ? this.inline(callee, args) : this.callAsCall(callee, lowered, args);
    }
    if (def === undefined) throw new Error(`internal: no lowering for '${name}'`);
    const axisArg = e.keywordArgs.find((k) => k.name.name === "axis")?.value;
    return def.lower({
      name,
      b: this.b,
      args,
      axis: axisArg === undefined ? undefined : ((axisArg as { value: number }).value as 0 | 1),
      sizes: def.takesSizes === true ? this.constructorShape(e, scope) : [],
      count: (shape) => this.count(shape),
    });
  }

  private constructorShape(e: CallExpr, scope: Scope): Shape {
    return e.args.map((arg) =>
      arg.kind === "number" ? arg.value : scope.dims.get((arg as { name: string }).name)!,
    );
  }

  /** Inlines a call: the callee's body, with its parameters bound to the arguments. */
  private inline(callee: CheckedFunction, args: readonly Value[]): Value | undefined {
    return this.body(callee, args, calleeDims(callee, args));
  }

  /** Calls kept as calls, by callee and arguments: the same call is one value. */
  private readonly calls = new Map<string, Value>();

  /** A call kept as a call; the sizes its indexing needs become the caller's. */
  private callAsCall(callee: CheckedFunction, lowered: LoweredFunction, args: readonly Value[]): Value {
    const key = `${callee.name}(${args.map((a) => a.id).join(",")})`;
    const known = this.calls.get(key);
    if (known !== undefined) return known;
    const dims = calleeDims(callee, args);
    for (const [d, size] of lowered.minimumDims) {
      const mapped = dims.get(d);
      if (typeof mapped === "string") {
        this.minimumDims.set(mapped, Math.max(this.minimumDims.get(mapped) ?? 0, size));
      }
    }
    const shape = callee.resultShape.map((d) => (typeof d === "string" ? dims.get(d)! : d));
    const params = callee.params.map((p) => p.name);
    const value = this.b.apply("call", args, { callee: callee.name, params, shape }, `${callee.name}_value`);
    this.calls.set(key, value);
    return value;
  }
}

/** The caller's dimension bound to each of the callee's symbolic dimensions by the arguments. */
function calleeDims(callee: CheckedFunction, args: readonly Value[]): Map<string, Dim> {
  const dims = new Map<string, Dim>();
  callee.params.forEach((p, i) =>
    p.shape.forEach((d, axis) => {
      if (typeof d === "string") dims.set(d, args[i]!.shape[axis]!);
    }),
  );
  return dims;
}

/** What names mean while lowering one (possibly inlined) function body. */
class Scope {
  readonly values = new Map<string, Value>();
  readonly dims: ReadonlyMap<string, Dim>;
  constructor(dims: ReadonlyMap<string, Dim>) {
    this.dims = dims;
  }
}
