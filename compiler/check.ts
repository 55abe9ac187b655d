// The checker: names, arity, single assignment, `wrt`, calls to earlier
// functions and shapes with symbolic dimensions. It reports every error it can
// find (an erroneous sub-expression gets no shape, which silences follow-on
// errors) and records the shape of every expression for lowering.

import type { BinaryExpr, CallExpr, Expr, FunctionDecl, Identifier, Program, Span, TypeExpr } from "./ast.js";
import { builtinNames, builtinOf, reservedReason, type BuiltinDef, type ShapeContext } from "./builtins.js";
import { isReservedInGeneratedCode } from "./names.js";
import { codes, type DiagnosticSink } from "./diagnostics.js";
import { broadcastShapes, formatShape, shapesEqual, type Dim, type Shape } from "./shapes.js";

export interface CheckedParam {
  readonly name: string;
  readonly shape: Shape;
  readonly span: Span;
}

export interface CheckedFunction {
  readonly decl: FunctionDecl;
  readonly name: string;
  readonly params: readonly CheckedParam[];
  /** Symbolic dimensions, in order of first appearance in the parameter list. */
  readonly dims: readonly string[];
  /** Names of the parameters the generated derivatives are taken with respect to. */
  readonly wrt: readonly string[];
  readonly resultShape: Shape;
  /** The shape of every well-typed expression of the body. */
  readonly shapes: ReadonlyMap<Expr, Shape>;
}

export interface CheckedProgram {
  readonly functions: readonly CheckedFunction[];
}

/** Suffixes of the exports generated for each function (`fGrad`, `fForward`, ...). */
export const generatedSuffixes = ["Grad", "Forward", "Backward", "Jvp", "Jacobian", "Hvp", "Hessian"];

export function checkProgram(program: Program, sink: DiagnosticSink): CheckedProgram {
  const functions: CheckedFunction[] = [];
  const byName = new Map<string, CheckedFunction>();
  const declared = new Map<string, FunctionDecl>();
  for (const decl of program.functions) declared.set(decl.name.name, declared.get(decl.name.name) ?? decl);

  if (program.functions.length === 0) {
    sink.error(
      codes.noFunctions,
      "the file defines no function; write `fn name(params) = expr`",
      program.span,
    );
  }
  reportExportClashes(program, sink);

  // Functions already checked, including those with errors (calls to them stay quiet).
  const seen = new Set<string>();
  for (const decl of program.functions) {
    const name = decl.name.name;
    const duplicate = seen.has(name);
    if (duplicate)
      sink.error(codes.duplicateFunction, `function '${name}' is already defined`, decl.name.span);
    const reason =
      reservedReason(name) ??
      (isReservedInGeneratedCode(name) ? "reserved in the generated TypeScript" : undefined);
    if (reason !== undefined) {
      sink.error(codes.reservedName, `'${name}' is ${reason} and cannot name a function`, decl.name.span);
    }
    // A duplicate's body is still checked, for its own errors.
    const checked = new FunctionChecker(decl, byName, declared, seen, sink).check();
    seen.add(name);
    if (checked !== undefined && !duplicate && reason === undefined) {
      functions.push(checked);
      byName.set(name, checked);
    }
  }
  return { functions };
}

/** `fn f` exports `f`, `fGrad`, `FTape`, ...: two functions may not export the same name. */
function reportExportClashes(program: Program, sink: DiagnosticSink): void {
  const owners = new Map<string, string>();
  const reported = new Set<string>();
  for (const decl of program.functions) {
    const name = decl.name.name;
    const exported = [name, ...generatedSuffixes.map((suffix) => name + suffix), tapeTypeName(name)];
    for (const exportName of exported) {
      const owner = owners.get(exportName);
      if (owner !== undefined && owner !== name && !reported.has(name)) {
        reported.add(name);
        // Reserved whatever the modes, so adding a mode never breaks a file that compiled.
        const what = exportName === name ? `the name '${name}'` : `'${exportName}'`;
        sink.error(
          codes.exportNameClash,
          `'${name}' would export ${what}, which is reserved for what gradc generates from '${owner}'`,
          decl.name.span,
        );
      }
      if (owner === undefined) owners.set(exportName, name);
    }
  }
}

export function tapeTypeName(functionName: string): string {
  return functionName.charAt(0).toUpperCase() + functionName.slice(1) + "Tape";
}

type Binding =
  | { readonly kind: "param"; readonly shape: Shape }
  | { readonly kind: "dim" }
  | { readonly kind: "var"; readonly shape: Shape }
  | { readonly kind: "function" }
  // A name whose definition had an error: uses of it report nothing more.
  // `what` says what the source defined it as, for a later clash.
  | { readonly kind: "error"; readonly what?: string };

const describeBinding = {
  param: "a parameter",
  dim: "a dimension",
  var: "a variable",
  function: "a function",
} as const;

class FunctionChecker {
  private readonly scope = new Map<string, Binding>();
  private readonly shapes = new Map<Expr, Shape>();
  private readonly params: CheckedParam[] = [];
  private readonly dims: string[] = [];

  private readonly decl: FunctionDecl;
  private readonly earlier: ReadonlyMap<string, CheckedFunction>;
  private readonly declared: ReadonlyMap<string, FunctionDecl>;
  private readonly checkedBefore: ReadonlySet<string>;
  private readonly sink: DiagnosticSink;

  constructor(
    decl: FunctionDecl,
    earlier: ReadonlyMap<string, CheckedFunction>,
    declared: ReadonlyMap<string, FunctionDecl>,
    checkedBefore: ReadonlySet<string>,
    sink: DiagnosticSink,
  ) {
    this.decl = decl;
    this.earlier = earlier;
    this.declared = declared;
    this.checkedBefore = checkedBefore;
    this.sink = sink;
  }

  check(): CheckedFunction | undefined {
    const { decl, sink } = this;
    for (const name of this.earlier.keys()) this.scope.set(name, { kind: "function" });
    this.scope.set(decl.name.name, { kind: "function" });

    let ok = true;
    for (const param of decl.params) {
      const shape = this.resolveType(param.type, true);
      if (
        !this.bind(param.name, shape === undefined ? { kind: "param", shape: [] } : { kind: "param", shape })
      ) {
        ok = false;
      }
      if (shape === undefined) ok = false;
      else this.params.push({ name: param.name.name, shape, span: param.span });
    }
    const declaredShape =
      decl.returnType === undefined ? undefined : this.resolveType(decl.returnType, false);
    const wrt = this.checkWrt();

    let resultShape: Shape | undefined;
    let returned = false;
    for (const statement of decl.body) {
      if (returned) {
        sink.error(
          codes.statementAfterReturn,
          "statement after `return`; `return` must come last",
          statement.span,
        );
        ok = false;
        continue;
      }
      const shape = this.expr(statement.value);
      if (statement.kind === "return") {
        returned = true;
        resultShape = shape;
        if (shape === undefined) ok = false;
      } else {
        if (shape === undefined) ok = false;
        if (
          !this.bind(
            statement.name,
            shape === undefined ? { kind: "error", what: describeBinding.var } : { kind: "var", shape },
          )
        )
          ok = false;
      }
    }
    if (!returned) {
      sink.error(codes.missingReturn, `function '${decl.name.name}' has no \`return\``, decl.name.span);
      return undefined;
    }
    if (
      resultShape !== undefined &&
      declaredShape !== undefined &&
      !shapesEqual(resultShape, declaredShape)
    ) {
      const returnStatement = decl.body[decl.body.length - 1];
      sink.error(
        codes.returnTypeMismatch,
        `'${decl.name.name}' is declared to return ${formatShape(declaredShape)} but returns ${formatShape(resultShape)}`,
        returnStatement?.value.span ?? decl.name.span,
      );
      ok = false;
    }
    if (!ok || resultShape === undefined || wrt === undefined) return undefined;
    return {
      decl,
      name: decl.name.name,
      params: this.params,
      dims: this.dims,
      wrt,
      resultShape,
      shapes: this.shapes,
    };
  }

  /** Adds a name to the function's one namespace; reports reserved words and clashes. */
  private bind(id: Identifier, binding: Binding): boolean {
    const reason = reservedReason(id.name);
    if (reason !== undefined) {
      this.sink.error(codes.reservedName, `'${id.name}' is ${reason} and cannot be used as a name`, id.span);
      this.scope.set(id.name, { kind: "error" });
      return false;
    }
    const existing = this.scope.get(id.name);
    if (existing !== undefined) {
      const what = existing.kind === "error" ? existing.what : describeBinding[existing.kind];
      if (what !== undefined) {
        const hint =
          existing.kind === "var" || what === describeBinding.var ? " (each name is assigned once)" : "";
        this.sink.error(codes.duplicateName, `'${id.name}' is already ${what}${hint}`, id.span);
      }
      // Later uses mean the first definition, unless that was a function.
      if (existing.kind === "function")
        this.scope.set(id.name, { kind: "error", what: describeBinding.function });
      return false;
    }
    this.scope.set(id.name, binding);
    return binding.kind !== "error";
  }

  /** A type's shape (the grammar allows at most two dimensions). */
  private resolveType(type: TypeExpr, bindsDims: boolean): Shape | undefined {
    const shape: Dim[] = [];
    let ok = true;
    for (const dim of type.dims) {
      if (dim.kind === "dimLiteral") {
        if (!Number.isInteger(dim.value) || dim.value < 1) {
          this.sink.error(
            codes.badLiteral,
            `a dimension must be a positive integer, got ${dim.value}`,
            dim.span,
          );
          ok = false;
        }
        shape.push(dim.value);
        continue;
      }
      const existing = this.scope.get(dim.name);
      if (existing?.kind === "dim") {
        shape.push(dim.name);
      } else if (!bindsDims) {
        this.sink.error(
          codes.unknownDimension,
          `unknown dimension '${dim.name}'; dimensions are introduced by parameter types`,
          dim.span,
        );
        ok = false;
      } else if (this.bind({ kind: "identifier", name: dim.name, span: dim.span }, { kind: "dim" })) {
        this.dims.push(dim.name);
        shape.push(dim.name);
      } else {
        ok = false;
      }
    }
    return ok ? shape : undefined;
  }

  private checkWrt(): string[] | undefined {
    const { decl } = this;
    if (decl.wrt === undefined) return decl.params.map((p) => p.name.name);
    const names: string[] = [];
    let ok = true;
    for (const id of decl.wrt) {
      if (!decl.params.some((p) => p.name.name === id.name)) {
        this.sink.error(
          codes.unknownWrt,
          `'wrt ${id.name}' does not name a parameter of '${decl.name.name}'`,
          id.span,
        );
        ok = false;
      } else if (names.includes(id.name)) {
        this.sink.error(codes.duplicateWrt, `'${id.name}' is listed twice after 'wrt'`, id.span);
        ok = false;
      } else {
        names.push(id.name);
      }
    }
    // Derivatives are listed, and Hessians flattened, in parameter-list order.
    return ok ? decl.params.map((p) => p.name.name).filter((p) => names.includes(p)) : undefined;
  }

  private expr(e: Expr): Shape | undefined {
    const shape = this.exprShape(e);
    if (shape !== undefined) this.shapes.set(e, shape);
    return shape;
  }

  private exprShape(e: Expr): Shape | undefined {
    switch (e.kind) {
      case "number":
      case "pi":
        return [];
      case "name":
        return this.nameShape(e.name, e.span);
      case "unary":
        return this.expr(e.operand);
      case "binary":
        return this.binaryChain(e);
      case "comparison":
        this.sink.error(
          codes.comparisonOutsideWhere,
          `a comparison can only be the condition of where(cond, a, b)`,
          e.span,
        );
        this.expr(e.left);
        this.expr(e.right);
        return undefined;
      case "call":
        return this.call(e);
      case "index":
        return this.index(e.target, e.indices, e.span);
      case "transpose": {
        const shape = this.expr(e.operand);
        if (shape === undefined) return undefined;
        return shape.length === 2 ? [shape[1]!, shape[0]!] : shape;
      }
      case "array":
        return this.arrayLiteral(e.elements, e.span);
    }
  }

  private nameShape(name: string, span: Span): Shape | undefined {
    const binding = this.scope.get(name);
    if (binding === undefined) {
      const later = this.decl.body.some((s) => s.kind === "assign" && s.name.name === name);
      this.sink.error(
        codes.unknownName,
        later ? `'${name}' is used before it is assigned` : `unknown name '${name}'`,
        span,
      );
      return undefined;
    }
    if (binding.kind === "error") return undefined;
    if (binding.kind === "function") {
      this.sink.error(codes.unknownName, `'${name}' is a function; call it as ${name}(...)`, span);
      return undefined;
    }
    return binding.kind === "dim" ? [] : binding.shape;
  }

  /**
   * `a + b + c + …` nests to the left; its spine is walked in a loop, so a long
   * chain is not limited by the stack.
   */
  private binaryChain(e: BinaryExpr): Shape | undefined {
    const spine: BinaryExpr[] = [];
    let node: Expr = e;
    for (; node.kind === "binary"; node = node.left) spine.push(node);
    let shape = this.expr(node);
    for (let i = spine.length - 1; i >= 0; i--) {
      const { operator, right, span } = spine[i]!;
      const b = this.expr(right);
      shape =
        shape === undefined || b === undefined
          ? undefined
          : operator === "@"
            ? this.matmul(shape, b, span)
            : this.elementwise(operator, shape, b, span);
      // The outermost node's shape is recorded by expr().
      if (i > 0 && shape !== undefined) this.shapes.set(spine[i]!, shape);
    }
    return shape;
  }

  private elementwise(what: string, a: Shape, b: Shape, span: Span): Shape | undefined {
    const shape = broadcastShapes(a, b);
    if (shape === undefined) {
      this.sink.error(
        codes.shapeMismatch,
        `shapes ${formatShape(a)} and ${formatShape(b)} do not match for '${what}'`,
        span,
      );
    }
    return shape;
  }

  private matmul(a: Shape, b: Shape, span: Span): Shape | undefined {
    if (a.length === 0 || b.length === 0) {
      this.sink.error(
        codes.matmulMismatch,
        `'@' needs vectors or matrices, got ${formatShape(a)} @ ${formatShape(b)}; use '*' for scalars`,
        span,
      );
      return undefined;
    }
    const inner = a[a.length - 1]!;
    const innerB = b[0]!;
    if (inner !== innerB) {
      this.sink.error(
        codes.matmulMismatch,
        `inner dimensions of ${formatShape(a)} @ ${formatShape(b)} differ: ${inner} vs ${innerB}`,
        span,
      );
      return undefined;
    }
    return [...a.slice(0, -1), ...b.slice(1)];
  }

  private index(target: Expr, indices: readonly Expr[], span: Span): Shape | undefined {
    const shape = this.expr(target);
    if (shape === undefined) return undefined;
    if (shape.length === 0) {
      this.sink.error(codes.badIndex, `cannot index a scalar`, span);
      return undefined;
    }
    if (indices.length !== shape.length) {
      this.sink.error(
        codes.badIndex,
        `${formatShape(shape)} needs ${shape.length} ${shape.length === 1 ? "index" : "indices"}, got ${indices.length}`,
        span,
      );
      return undefined;
    }
    let ok = true;
    indices.forEach((index, axis) => {
      const dim = shape[axis]!;
      if (index.kind !== "number" || !Number.isInteger(index.value) || index.value < 0) {
        this.sink.error(codes.badIndex, `an index must be a non-negative integer literal`, index.span);
        ok = false;
      } else if (typeof dim === "number" && index.value >= dim) {
        this.sink.error(
          codes.badIndex,
          `index ${index.value} is out of range for dimension ${dim}`,
          index.span,
        );
        ok = false;
      }
    });
    return ok ? [] : undefined;
  }

  private arrayLiteral(elements: readonly Expr[], span: Span): Shape | undefined {
    if (elements.length === 0) {
      this.sink.error(codes.badLiteral, `an empty literal has no shape`, span);
      return undefined;
    }
    const shapes = elements.map((e) => this.expr(e));
    if (shapes.some((s) => s === undefined)) return undefined;
    const first = shapes[0]!;
    if (first.length === 0 && shapes.every((s) => s!.length === 0)) return [elements.length];
    const rowsAreLiterals = elements.every((e) => e.kind === "array");
    if (rowsAreLiterals && shapes.every((s) => s!.length === 1)) {
      const width = first[0]!;
      const ragged = shapes.findIndex((s) => s![0] !== width);
      if (ragged >= 0) {
        this.sink.error(
          codes.badLiteral,
          `matrix rows differ in length: row 0 has ${width} elements, row ${ragged} has ${shapes[ragged]![0]}`,
          elements[ragged]!.span,
        );
        return undefined;
      }
      return [elements.length, width];
    }
    const bad = elements.find((_, i) => shapes[i]!.length !== 0)!;
    this.sink.error(
      codes.badLiteral,
      `elements of a vector literal must be scalars, got ${formatShape(shapes[elements.indexOf(bad)]!)}`,
      bad.span,
    );
    return undefined;
  }

  private call(e: CallExpr): Shape | undefined {
    const name = e.callee.name;
    const userFunction = this.earlier.get(name);
    if (userFunction !== undefined) return this.userCall(e, userFunction);
    // Built-in names cannot name functions (reported there), so such a call is the built-in's.
    if (builtinNames.has(name)) return this.builtinCall(e, name);
    if (name === this.decl.name.name) {
      this.sink.error(
        codes.recursiveCall,
        `'${name}' calls itself; recursion is not supported`,
        e.callee.span,
      );
      this.checkArgs(e);
      return undefined;
    }
    if (this.checkedBefore.has(name)) {
      // An earlier function with errors of its own, already reported.
      this.checkArgs(e);
      return undefined;
    }
    if (this.declared.has(name)) {
      this.sink.error(
        codes.recursiveCall,
        `'${name}' is defined later in the file; a function may only call functions defined before it`,
        e.callee.span,
      );
      this.checkArgs(e);
      return undefined;
    }
    this.sink.error(codes.unknownFunction, `unknown function '${name}'`, e.callee.span);
    this.checkArgs(e);
    return undefined;
  }

  /** A call of a built-in: its arity and keywords here, its shape rule from its table entry. */
  private builtinCall(e: CallExpr, name: string): Shape | undefined {
    const def = builtinOf(name)!;
    if (!this.arity(e, def.arity[0], def.arity[1])) {
      this.checkArgs(e);
      return undefined;
    }
    if (name === "where") return this.where(e, def);
    if (def.takesSizes === true) {
      const sizes = this.sizes(e);
      return sizes === undefined ? undefined : def.shape(this.shapeContext(e, [], sizes, undefined));
    }
    const args = this.checkArgs(e);
    if (args === undefined) return undefined;
    // `axis=` is for the one-argument forms (max(x, axis=0), not max(a, b)).
    let axis: 0 | 1 | undefined;
    if (def.takesAxis === true && args.length === 1) {
      const parsed = this.axis(e, args[0]!);
      if (parsed === null) return undefined;
      axis = parsed as 0 | 1 | undefined;
    } else {
      this.noKeywords(e);
    }
    return def.shape(this.shapeContext(e, args, [], axis));
  }

  private shapeContext(
    e: CallExpr,
    args: readonly Shape[],
    sizes: readonly Dim[],
    axis: 0 | 1 | undefined,
  ): ShapeContext {
    const name = e.callee.name;
    const spanOf = (k?: number) => (k === undefined ? e.span : (e.args[k]?.span ?? e.span));
    return {
      name,
      args,
      sizes,
      axis,
      error: (code, message, k) => {
        this.sink.error(code, message, spanOf(k));
        return undefined;
      },
      need: (k, ranks, what) => {
        const shape = args[k]!;
        if (ranks.includes(shape.length)) return true;
        this.sink.error(codes.badArgument, `'${name}' needs ${what}, got ${formatShape(shape)}`, spanOf(k));
        return false;
      },
      broadcast: (what, a, b) => this.elementwise(what, a, b, e.span),
    };
  }

  private checkArgs(e: CallExpr): Shape[] | undefined {
    // where's first argument is its condition: a comparison is in place there.
    const shapes = e.args.map((a, i) =>
      e.callee.name === "where" && i === 0 && a.kind === "comparison"
        ? this.comparisonSides(a)
        : this.expr(a),
    );
    return shapes.every((s) => s !== undefined) ? (shapes as Shape[]) : undefined;
  }

  private userCall(e: CallExpr, callee: CheckedFunction): Shape | undefined {
    this.noKeywords(e);
    const args = this.checkArgs(e);
    if (!this.arity(e, callee.params.length, callee.params.length)) return undefined;
    if (args === undefined) return undefined;
    // Bind the callee's symbolic dimensions from the arguments, then check agreement.
    const bound = new Map<string, Dim>();
    let ok = true;
    callee.params.forEach((param, i) => {
      const actual = args[i]!;
      const arg = e.args[i]!;
      if (actual.length !== param.shape.length) {
        this.sink.error(
          codes.shapeMismatch,
          `argument '${param.name}' of '${callee.name}' must be ${formatShape(param.shape)}, got ${formatShape(actual)}`,
          arg.span,
        );
        ok = false;
        return;
      }
      param.shape.forEach((dim, axis) => {
        const got = actual[axis]!;
        const expected = typeof dim === "number" ? dim : bound.get(dim);
        if (expected === undefined) bound.set(dim as string, got);
        else if (expected !== got) {
          this.sink.error(
            codes.shapeMismatch,
            `argument '${param.name}' of '${callee.name}' must be ${formatShape(param.shape.map((d) => (typeof d === "string" ? (bound.get(d) ?? d) : d)))}, got ${formatShape(actual)}`,
            arg.span,
          );
          ok = false;
        }
      });
    });
    if (!ok) return undefined;
    return callee.resultShape.map((d) => (typeof d === "string" ? bound.get(d)! : d));
  }

  private comparisonSides(cond: Expr & { kind: "comparison" }): Shape | undefined {
    const l = this.expr(cond.left);
    const r = this.expr(cond.right);
    const shape =
      l !== undefined && r !== undefined ? this.elementwise(cond.operator, l, r, cond.span) : undefined;
    if (shape !== undefined) this.shapes.set(cond, shape);
    return shape;
  }

  /** `where`: its condition must be a comparison, whose sides are checked here. */
  private where(e: CallExpr, def: BuiltinDef): Shape | undefined {
    this.noKeywords(e);
    const [cond, a, b] = e.args as [Expr, Expr, Expr];
    let condShape: Shape | undefined;
    if (cond.kind !== "comparison") {
      this.sink.error(
        codes.whereCondition,
        `the condition of where must be a comparison such as x > 0`,
        cond.span,
      );
      this.expr(cond);
    } else {
      condShape = this.comparisonSides(cond);
    }
    const sa = this.expr(a);
    const sb = this.expr(b);
    if (condShape === undefined || sa === undefined || sb === undefined) return undefined;
    return def.shape(this.shapeContext(e, [condShape, sa, sb], [], undefined));
  }

  private arity(e: CallExpr, min: number, max: number): boolean {
    const n = e.args.length;
    if (n >= min && n <= max) return true;
    const expected = min === max ? `${min}` : max === min + 1 ? `${min} or ${max}` : `${min} to ${max}`;
    this.sink.error(
      codes.arity,
      `'${e.callee.name}' takes ${expected} argument${max === 1 ? "" : "s"}, got ${n}`,
      e.span,
    );
    return false;
  }

  private noKeywords(e: CallExpr): void {
    for (const kw of e.keywordArgs) {
      this.sink.error(
        codes.badKeywordArgument,
        `'${e.callee.name}' takes no keyword argument '${kw.name.name}'`,
        kw.span,
      );
    }
  }

  /** Reads `axis=0|1`; undefined when absent, null when invalid (already reported). */
  private axis(e: CallExpr, input: Shape): number | undefined | null {
    let axis: number | undefined | null;
    let seen = false;
    for (const kw of e.keywordArgs) {
      if (kw.name.name === "axis" && seen) {
        this.sink.error(codes.badKeywordArgument, `axis is given more than once`, kw.span);
        axis = null;
        continue;
      }
      if (kw.name.name === "axis") seen = true;
      if (kw.name.name !== "axis") {
        this.sink.error(
          codes.badKeywordArgument,
          `'${e.callee.name}' takes no keyword argument '${kw.name.name}'`,
          kw.span,
        );
        axis = null;
      } else if (kw.value.kind !== "number" || (kw.value.value !== 0 && kw.value.value !== 1)) {
        this.sink.error(codes.badKeywordArgument, `axis must be 0 or 1`, kw.value.span);
        axis = null;
      } else if (input.length !== 2) {
        this.sink.error(
          codes.badKeywordArgument,
          `axis=${kw.value.value} needs a matrix, got ${formatShape(input)}`,
          kw.span,
        );
        axis = null;
      } else if (axis !== null) {
        axis = kw.value.value;
      }
    }
    return axis;
  }

  /** The sizes of a constructor (`zeros(m, n)`): positive integer literals or dimension names. */
  private sizes(e: CallExpr): Dim[] | undefined {
    this.noKeywords(e);
    const dims: Dim[] = [];
    for (const arg of e.args) {
      if (arg.kind === "number" && Number.isInteger(arg.value) && arg.value >= 1) dims.push(arg.value);
      else if (arg.kind === "name" && this.scope.get(arg.name)?.kind === "dim") dims.push(arg.name);
      else {
        this.sink.error(
          codes.badArgument,
          `sizes of '${e.callee.name}' must be positive integer literals or dimension names`,
          arg.span,
        );
        return undefined;
      }
    }
    return dims;
  }
}
