// The abstract syntax tree produced by the parser (compiler/grammar.peggy).
// Every node carries the span of source it came from, so diagnostics and
// comments in generated code can point back at the user's lines.

/** A position in source: 1-based line and column, 0-based offset. */
export interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A half-open source range [start, end). */
export interface Span {
  readonly start: Position;
  readonly end: Position;
}

export interface Identifier {
  readonly kind: "identifier";
  readonly name: string;
  readonly span: Span;
}

/** A dimension in a type: `real[3]` or `real[n]`. */
export type DimensionExpr =
  | { readonly kind: "dimLiteral"; readonly value: number; readonly span: Span }
  | { readonly kind: "dimName"; readonly name: string; readonly span: Span };

/** `real`, `real[n]` or `real[m, n]`. */
export interface TypeExpr {
  readonly kind: "type";
  readonly dims: readonly DimensionExpr[];
  readonly span: Span;
}

export interface Param {
  readonly kind: "param";
  readonly name: Identifier;
  readonly type: TypeExpr;
  readonly span: Span;
}

export interface AssignStatement {
  readonly kind: "assign";
  readonly name: Identifier;
  readonly value: Expr;
  readonly span: Span;
}

export interface ReturnStatement {
  readonly kind: "return";
  readonly value: Expr;
  readonly span: Span;
}

export type Statement = AssignStatement | ReturnStatement;

export interface FunctionDecl {
  readonly kind: "function";
  readonly name: Identifier;
  readonly params: readonly Param[];
  readonly returnType: TypeExpr | undefined;
  /** `undefined` when there is no `wrt` clause (differentiate w.r.t. all parameters). */
  readonly wrt: readonly Identifier[] | undefined;
  /** For the one-line form `fn f(x) = expr` this is a single synthesized return statement. */
  readonly body: readonly Statement[];
  readonly form: "block" | "expression";
  readonly span: Span;
}

export interface Program {
  readonly kind: "program";
  readonly functions: readonly FunctionDecl[];
  readonly span: Span;
}

export type BinaryOperator = "+" | "-" | "*" | "/" | "@" | "^";
export type ComparisonOperator = "<" | "<=" | ">" | ">=" | "==" | "!=";

export interface NumberLiteral {
  readonly kind: "number";
  readonly value: number;
  /** The literal as written, e.g. `1e-3`. */
  readonly text: string;
  readonly span: Span;
}

export interface PiLiteral {
  readonly kind: "pi";
  readonly span: Span;
}

export interface NameExpr {
  readonly kind: "name";
  readonly name: string;
  readonly span: Span;
}

export interface UnaryExpr {
  readonly kind: "unary";
  readonly operator: "-" | "+";
  readonly operand: Expr;
  readonly span: Span;
}

export interface BinaryExpr {
  readonly kind: "binary";
  readonly operator: BinaryOperator;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

export interface ComparisonExpr {
  readonly kind: "comparison";
  readonly operator: ComparisonOperator;
  readonly left: Expr;
  readonly right: Expr;
  readonly span: Span;
}

export interface KeywordArgument {
  readonly kind: "keywordArgument";
  readonly name: Identifier;
  readonly value: Expr;
  readonly span: Span;
}

export interface CallExpr {
  readonly kind: "call";
  readonly callee: Identifier;
  readonly args: readonly Expr[];
  /** `axis=1` and friends; positional arguments always come first. */
  readonly keywordArgs: readonly KeywordArgument[];
  readonly span: Span;
}

export interface IndexExpr {
  readonly kind: "index";
  readonly target: Expr;
  readonly indices: readonly Expr[];
  readonly span: Span;
}

export interface TransposeExpr {
  readonly kind: "transpose";
  readonly operand: Expr;
  readonly span: Span;
}

/** `[a, b, c]`; a matrix literal is an array of arrays. */
export interface ArrayLiteral {
  readonly kind: "array";
  readonly elements: readonly Expr[];
  readonly span: Span;
}

export type Expr =
  | NumberLiteral
  | PiLiteral
  | NameExpr
  | UnaryExpr
  | BinaryExpr
  | ComparisonExpr
  | CallExpr
  | IndexExpr
  | TransposeExpr
  | ArrayLiteral;
