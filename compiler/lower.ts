// Lowering: a checked function to IR in A-normal form, one primitive per
// intermediate value (the paper's step 1: introduce intermediate variables).
// Composite built-ins become primitives here (`mean` is `sum / n`, `norm1` is
// `sum(abs(x))`), and calls to earlier functions are inlined, so derivatives
// flow through every argument of a call.

import type { BinaryExpr, CallExpr, ComparisonOperator, Expr, Statement } from "./ast.js";
import { Builder, ValueFactory } from "./builder.js";
import { isUnaryElementwise } from "./builtins.js";
import type { CheckedFunction } from "./check.js";
import type { IRFunction, Origin, Value } from "./ir.js";
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

export function lowerFunction(
  fn: CheckedFunction,
  callees: ReadonlyMap<string, CheckedFunction>,
  source: string,
): LoweredFunction {
  const values = new ValueFactory();
  const builder = new Builder(values);
  const params = fn.params.map((p) => values.make(p.shape, p.name, true));
  const dims = new Map<string, Dim>(fn.dims.map((d) => [d, d]));
  const lowering = new Lowering(builder, callees, source);
  const result = lowering.body(fn, params, dims);
  if (result === undefined) throw new Error(`internal: function '${fn.name}' lowered without a result`);
  return {
    ir: {
      name: fn.name,
      params,
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

  constructor(b: Builder, callees: ReadonlyMap<string, CheckedFunction>, source: string) {
    this.b = b;
    this.callees = callees;
    this.source = source;
  }

  /**
   * Lowers a function body with its parameters bound to `args` and its symbolic
   * dimensions to `dims` (the caller's dimensions, when inlining a call).
   */
  body(fn: CheckedFunction, args: readonly Value[], dims: ReadonlyMap<string, Dim>): Value | undefined {
    const scope = new Scope(dims);
    fn.params.forEach((p, i) => scope.values.set(p.name, args[i]!));
    const outerOrigin = this.b.origin;
    for (const statement of fn.decl.body) {
      // Inlined statements keep the caller's origin: comments point at the call.
      if (outerOrigin === undefined) this.b.origin = this.originOf(statement);
      const value = this.expr(statement.value, scope);
      if (value === undefined) return undefined;
      if (statement.kind === "return") {
        if (!value.fromSource && outerOrigin === undefined && this.b.body.some((i) => i.result === value)) {
          value.name = "value";
        }
        this.b.origin = outerOrigin;
        return value;
      }
      if (!value.fromSource) {
        value.name = statement.name.name;
        // An inlined callee's names are only hints: its statements fuse like temporaries.
        value.fromSource = outerOrigin === undefined;
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

  private call(e: CallExpr, scope: Scope): Value | undefined {
    const b = this.b;
    const name = e.callee.name;
    const callee = this.callees.get(name);
    if (name === "where") {
      const [cond, x, y] = e.args as [Expr, Expr, Expr];
      const args = this.all([cond, x, y], scope);
      return args === undefined ? undefined : b.apply("where", args);
    }
    const args = this.all(e.args, scope);
    if (args === undefined) return undefined;
    if (callee !== undefined) return this.inline(callee, args);
    const axisArg = e.keywordArgs.find((k) => k.name.name === "axis")?.value;
    const axis = axisArg === undefined ? {} : { axis: (axisArg as { value: number }).value };
    const [x, y] = args as [Value, Value | undefined];
    if (isUnaryElementwise(name)) return this.stableForm(name, x) ?? b.apply(name, [x]);
    switch (name) {
      case "max":
      case "min":
        return y === undefined
          ? b.apply(name === "max" ? "maxReduce" : "minReduce", [x], axis)
          : b.apply(name, [x, y]);
      case "pow":
        return b.apply("pow", [x, y!]);
      case "sum":
      case "prod":
      case "norm2":
      case "logsumexp":
      case "softmax":
        return b.apply(name, [x], axis);
      case "mean": {
        const reduced = axis.axis === undefined ? x.shape : [x.shape[axis.axis]!];
        return b.div(b.apply("sum", [x], axis), this.count(reduced));
      }
      case "norm1":
        return b.apply("sum", [b.apply("abs", [x])], axis);
      case "dot":
        return b.apply("dot", [x, y!]);
      case "outer":
        return b.apply("outer", [x, y!]);
      case "transpose":
        return x.shape.length === 1 ? x : b.apply("transpose", [x]);
      case "trace":
        return b.apply("sum", [b.apply("diagonal", [x])]);
      case "diag":
        return b.apply("diag", [x], { shape: [x.shape[0]!, x.shape[0]!] });
      case "diagonal":
      case "inv":
      case "det":
      case "logdet":
        return b.apply(name, [x]);
      case "zeros":
      case "ones":
        return b.apply("broadcast", [b.constant(name === "zeros" ? 0 : 1)], {
          shape: this.constructorShape(e, scope),
        });
      case "eye": {
        const [n] = this.constructorShape(e, scope) as [Dim];
        return b.apply("eye", [], { shape: [n, n] });
      }
    }
    throw new Error(`internal: no lowering for built-in '${name}'`);
  }

  /**
   * Compositions that round badly when computed step by step, in the form a careful
   * person writes them: log(sigmoid(x)) = −softplus(−x) (not −∞ for x ≲ −745),
   * log1p(exp(x)) = softplus(x) (not ∞ for x ≳ 710) and log(softmax(x)) =
   * x − logsumexp(x) (log-softmax). Their derivatives follow the stable form too.
   */
  private stableForm(name: string, x: Value): Value | undefined {
    const b = this.b;
    const inner = b.producerOf(x);
    if (inner === undefined) return undefined;
    const [arg] = inner.args as [Value];
    if (name === "log" && inner.op === "sigmoid") {
      return b.neg(b.apply("softplus", [b.neg(arg)]));
    }
    if (name === "log1p" && inner.op === "exp") return b.apply("softplus", [arg]);
    if (name === "log" && inner.op === "softmax") {
      const { axis } = inner.attrs;
      const lse = b.apply("logsumexp", [arg], axis === undefined ? {} : { axis });
      const spread = axis === undefined ? lse : b.apply("broadcast", [lse], { shape: arg.shape, axis });
      return b.sub(arg, spread);
    }
    return undefined;
  }

  private constructorShape(e: CallExpr, scope: Scope): Shape {
    return e.args.map((arg) =>
      arg.kind === "number" ? arg.value : scope.dims.get((arg as { name: string }).name)!,
    );
  }

  /** Inlines a call: the callee's body, with its parameters bound to the arguments. */
  private inline(callee: CheckedFunction, args: readonly Value[]): Value | undefined {
    const dims = new Map<string, Dim>();
    callee.params.forEach((p, i) =>
      p.shape.forEach((d, axis) => {
        if (typeof d === "string") dims.set(d, args[i]!.shape[axis]!);
      }),
    );
    return this.body(callee, args, dims);
  }
}

/** What names mean while lowering one (possibly inlined) function body. */
class Scope {
  readonly values = new Map<string, Value>();
  readonly dims: ReadonlyMap<string, Dim>;
  constructor(dims: ReadonlyMap<string, Dim>) {
    this.dims = dims;
  }
}
