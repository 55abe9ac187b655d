// One spec per middle-end pass, read through the IR printer: lowering to
// A-normal form, reverse mode, and the optimizer.

import { describe, expect, it } from "vitest";
import { Builder, ValueFactory } from "../compiler/builder.js";
import { analyze } from "../compiler/compile.js";
import { printInstr, printIR, sourceName, type Names, type Value } from "../compiler/ir.js";
import { eliminateDeadCode, optimize, relaxGuards } from "../compiler/optimize.js";
import { reverse } from "../compiler/reverse.js";
import { verification, verifyProgram } from "../compiler/verify-ir.js";

/** How the values of the function under test are named (its ValueFactory's names). */
let names: Names = (v) => `v${v.id}`;

function lowered(source: string) {
  const { functions, sink } = analyze(source, "t.grad");
  expect(sink.diagnostics).toEqual([]);
  const result = functions[functions.length - 1]!.lowered;
  names = result.values.nameOf;
  return result;
}

/** The body as `op args` lines, without ids or origins, for compact expectations. */
function ops(
  body: readonly { op: string; args: readonly Value[]; result: Value; attrs: object }[],
): string[] {
  return body.map((i) => {
    const attrs = Object.entries(i.attrs).map(([k, v]) => `${k}=${String(v)}`);
    return [
      names(i.result),
      "=",
      i.op + (attrs.length > 0 ? `[${attrs.join(",")}]` : ""),
      ...i.args.map((a) => names(a)),
    ].join(" ");
  });
}

describe("lower: A-normal form, one primitive per intermediate", () => {
  it("names assigned values after the source and the result `value`, keeping each statement's origin", () => {
    const { ir } = lowered("fn f(x: real, y: real) -> real {\n  u = x * y\n  return u + sin(u)\n}");
    expect(printIR(ir, names)).toBe(
      [
        "fn f(%x.0: real, %y.1: real) {",
        "  %u.2: real = mul %x.0 %y.1    # 2: u = x * y",
        "  %sin_u.3: real = sin %u.2    # 3: return u + sin(u)",
        "  %value.4: real = add %u.2 %sin_u.3    # 3: return u + sin(u)",
        "  return value = %value.4",
        "}",
      ].join("\n"),
    );
  });

  it("builds composites from primitives: mean is sum / n, norm1 is sum(abs), a - b stays sub", () => {
    const { ir } = lowered("fn f(x: real[n]) = mean(x) + norm1(x) - x[0]");
    expect(ops(ir.body)).toEqual([
      "sum_x = sum x",
      "n = dim[dim=n]",
      "sum_x_over_n = div sum_x n",
      "abs_x = abs x",
      "sum_abs_x = sum abs_x",
      "sum_x_over_n_plus_sum_abs_x = add sum_x_over_n sum_abs_x",
      "elem_x = index[index=0] x",
      "value = sub sum_x_over_n_plus_sum_abs_x elem_x",
    ]);
  });

  it("inlines calls to earlier functions, binding their dimensions to the caller's", () => {
    const { ir } = lowered("fn g(a: real[k]) = sum(a) / k\nfn f(x: real[3]) = g(x * 2)");
    expect(ops(ir.body)).toEqual([
      "c = const[value=2]",
      "x_times_2 = mul x c",
      "sum_x_times_2 = sum x_times_2",
      "c = const[value=3]",
      "value = div sum_x_times_2 c",
    ]);
  });
});

describe("reverse: VJP rules walked backwards, adjoints summed over uses", () => {
  it("sums the adjoint of a value used twice (the total-derivative rule)", () => {
    const { ir, values } = lowered("fn f(x: real) -> real {\n  u = x * x\n  return u + x\n}");
    const seed = values.make([], "seed");
    const { body, gradients } = reverse(ir, ["x"], [seed], values);
    // d(u + x)/dx = du/dx + 1: the adjoint of x has three contributions (two from u = x*x, one direct).
    expect(ops(body)).toEqual([
      "dx_u = mulNoNanBoth x seed",
      "dx_u = mulNoNanBoth x seed",
      "add = add seed dx_u",
      "dx = add add dx_u",
    ]);
    expect(gradients.map((g) => g.name)).toEqual(["x"]);
  });

  it("skips what does not depend on the wrt parameters and names adjoints after their values", () => {
    const { ir, values } = lowered("fn f(x: real, y: real) -> real {\n  z = exp(x) * y\n  return z\n}");
    const seed = values.make([], "seed");
    const { body, gradients } = reverse(ir, ["y"], [seed], values);
    // Rules build every operand's contribution; what no gradient needs is dead code for DCE.
    expect(
      ops(
        eliminateDeadCode(
          body,
          gradients.map((g) => g.value),
        ),
      ),
    ).toEqual(["dy = mulNoNanBoth exp_x seed"]);
    expect(names(gradients[0]!.value)).toBe("dy");
  });

  it("takes one seed per output and sums the contributions of several outputs", () => {
    const { ir, values } = lowered("fn f(x: real) -> real {\n  u = x * x\n  return sin(u)\n}");
    const u = ir.body.find((i) => i.op === "mul")!.result;
    // A tuple result (u, sin u): the adjoint of u gets its own seed plus the one through sin.
    const pair = { ...ir, outputs: [...ir.outputs, { name: "u", value: u }] };
    const seedSin = values.make([], "seed");
    const seedU = values.make([], "seed");
    const { body, gradients } = reverse(pair, ["x"], [seedSin, seedU], values);
    const live = eliminateDeadCode(
      body,
      gradients.map((g) => g.value),
    );
    expect(ops(live)).toEqual([
      "cos_u = cos u",
      "du_f = mulNoNanBoth cos_u seed",
      "du = add seed du_f",
      "dx_u = mulNoNanBoth x du",
      "dx_u = mulNoNanBoth x du",
      "dx = add dx_u dx_u",
    ]);
    // Each seed reaches its own output: sin's seed goes through cos, u's is added directly.
    expect(live[1]!.args[1]).toBe(seedSin);
    expect(live[2]!.args[0]).toBe(seedU);
    expect(() => reverse(pair, ["x"], [seedSin], values)).toThrow(/1 seeds for the 2 outputs/);
  });

  it("gives a zero gradient for a parameter the result does not use", () => {
    const { ir, values } = lowered("fn f(x: real, v: real[n]) = x");
    const seed = values.make([], "seed");
    const { body, gradients } = reverse(ir, ["x", "v"], [seed], values);
    expect(gradients[0]!.value).toBe(seed);
    expect(ops(body)).toEqual(["c = const[value=0]", "dv = broadcast[shape=n] c"]);
  });
});

describe("optimize: folding, identities, CSE, DCE, NaN-safe guards", () => {
  const setup = () => {
    const values = new ValueFactory();
    names = values.nameOf;
    const b = new Builder(values);
    const x = values.make([], sourceName("x"));
    const v = values.make(["n"], sourceName("v"));
    return { values, b, x, v };
  };
  const run = (b: Builder, values: ValueFactory, outputs: Value[]) =>
    optimize({ body: b.body, outputs }, values);

  it("folds constants and applies x*1, x+0, x/1, x^1, -(-x)", () => {
    const { values, b, x } = setup();
    const two = b.add(b.constant(1), b.constant(1));
    const y = b.apply("pow", [b.div(b.add(b.mul(x, b.one()), b.zero()), b.one()), b.sub(two, b.one())]);
    const out = b.neg(b.neg(y));
    const result = run(b, values, [out]);
    expect(result.outputs[0]).toBe(x);
    expect(result.body).toEqual([]);
  });

  it("keeps x * 0, since NaN * 0 is NaN, but folds mulNoNan(d, 0) to 0", () => {
    const { values, b, x } = setup();
    const product = b.mul(x, b.zero());
    const guarded = b.scale(b.apply("log", [x]), b.zero());
    const result = run(b, values, [product, guarded]);
    expect(ops(result.body)).toEqual(["c = const[value=0]", "x_times_0 = mul x c"]);
    expect(names(result.outputs[1]!)).toBe("c");
  });

  it("eliminates common subexpressions and dead code", () => {
    const { values, b, x } = setup();
    const a = b.apply("sin", [x]);
    const a2 = b.apply("sin", [x]);
    b.apply("cos", [x]); // dead
    const out = b.add(a, a2);
    const result = run(b, values, [out]);
    expect(ops(result.body)).toEqual(["sin_x = sin x", "sin_x_plus_sin_x = add sin_x sin_x"]);
  });

  it("sums a row sum whole: sum(a − sum(M, axis=1)) is sum(a) − sum(M), keeping no row sums", () => {
    const { values, b, v } = setup();
    const M = values.make(["n", "k"], sourceName("M"));
    const rows = b.apply("sum", [M], { axis: 1 });
    const out = b.apply("sum", [b.sub(v, rows)]);
    const result = run(b, values, [out]);
    expect(ops(result.body)).toEqual([
      "sum_v = sum v",
      "sum_M = sum M",
      "sum_v_minus_sum_M = sub sum_v sum_M",
    ]);
    // Not when the row sums are read elsewhere too: they are computed anyway.
    const again = setup();
    const M2 = again.values.make(["n", "k"], sourceName("M"));
    const rows2 = again.b.apply("sum", [M2], { axis: 1 });
    const total = again.b.apply("sum", [again.b.sub(again.v, rows2)]);
    const kept = run(again.b, again.values, [total, rows2]);
    expect(ops(kept.body).filter((line) => line.includes("axis=1"))).toHaveLength(1);
  });

  it("passes a filled scalar straight to element-wise operations, which broadcast it", () => {
    const { values, b, x, v } = setup();
    const filled = b.apply("broadcast", [x], { shape: ["n"] });
    const out = b.mul(v, filled);
    const result = run(b, values, [out]);
    expect(ops(result.body)).toEqual(["v_times_x = mul v x"]);
  });

  it("drops NaN guards on adjoints no selection reaches, keeps them after `where`", () => {
    const { b, x } = setup();
    const plain = b.scale(b.apply("cos", [x]), x);
    const selected = b.where(b.apply("gt", [x, b.zero()]), x, b.zero());
    const guarded = b.scale(b.apply("cos", [x]), selected);
    const relaxed = relaxGuards({ body: b.body, outputs: [plain, guarded] });
    const byResult = new Map(relaxed.body.map((i) => [i.result.id, i.op]));
    expect(byResult.get(plain.id)).toBe("mul");
    expect(byResult.get(guarded.id)).toBe("mulNoNan");
  });

  it("folds transposes into the products that read them", () => {
    const { values, b } = setup();
    const A = values.make(["m", "n"], sourceName("A"));
    const B = values.make(["k", "n"], sourceName("B"));
    const x = values.make(["m"], sourceName("x"));
    const Bt = b.apply("transpose", [B]);
    const ABt = b.apply("matmul", [A, Bt]); // A Bᵀ
    const BAt = b.apply("transpose", [ABt]); // (A Bᵀ)ᵀ = B Aᵀ, its product read only here
    const AtX = b.apply("matvec", [b.apply("transpose", [A]), x]); // Aᵀ x = xᵀ A
    const back = b.apply("transpose", [Bt]); // (Bᵀ)ᵀ = B
    const result = run(b, values, [BAt, AtX, back]);
    expect(ops(result.body)).toEqual(["B_at_At = matmul[transB=true] B A", "x_at_A = vecmat x A"]);
    expect(result.outputs[2]).toBe(B);
  });

  it("keeps a transposed product that is read elsewhere, rather than computing it twice", () => {
    const { values, b } = setup();
    const A = values.make(["m", "n"], sourceName("A"));
    const AAt = b.apply("matmul", [A, A], { transB: true });
    const result = run(b, values, [AAt, b.apply("transpose", [AAt])]);
    expect(ops(result.body)).toEqual([
      "A_at_At = matmul[transB=true] A A",
      "transposed_A_at_At = transpose A_at_At",
    ]);
  });

  it("prints instructions with shapes and attributes", () => {
    const { b, v } = setup();
    const s = b.apply("sum", [v]);
    expect(printInstr(b.body[0]!, names)).toBe(`%sum_v.${s.id}: real = sum %v.${v.id}`);
    const m = b.apply("sum", [b.values.make(["m", 3], sourceName("A"))], { axis: 0 });
    expect(printInstr(b.body[1]!, names)).toBe(`%sum_A.${m.id}: real[3] = sum[axis=0] %A.${m.id - 1}`);
  });
});

describe("the IR verifier", () => {
  it("is on in the tests, so every pass of every program compiled here is verified", () => {
    expect(verification.enabled).toBe(true);
  });

  it("finds a use before definition, a wrong arity, a wrong result shape and a missing output", () => {
    const values = new ValueFactory();
    const x = values.make([], sourceName("x"));
    const v = values.make([3], sourceName("v"));
    const b = new Builder(values);
    const late = values.make([], "late");
    const s = b.apply("sum", [v]);
    const bad = [
      ...b.body,
      { result: values.make([], "y"), op: "add" as const, args: [x, late], attrs: {}, origin: undefined },
      { result: values.make([], "z"), op: "neg" as const, args: [x, x], attrs: {}, origin: undefined },
      { result: values.make([2], "w"), op: "mul" as const, args: [x, s], attrs: {}, origin: undefined },
    ];
    const problems = verifyProgram([x, v], bad, [values.make([], "never")], values.nameOf);
    expect(problems.map((p) => p.replace(/\.\d+/g, ""))).toEqual([
      "%late is used before it is defined in `%y: real = add %x %late`",
      "'neg' takes 1 operands, has 2 in `%z: real = neg %x %x`",
      "the result should have shape [] in `%w: real[2] = mul %x %sum_v`",
      "the output %never is never defined",
    ]);
  });

  it("accepts every program a real model derives, in every mode", () => {
    const { functions } = analyze(
      "fn f(w: real[n], X: real[m, n], y: real[m]) = mean(softplus(-y * (X @ w))) + norm2(w)^2",
      "t.grad",
      ["grad", "vjp", "jvp", "jacobian", "hessian"],
    );
    const fn = functions[0]!;
    const params = fn.lowered.ir.params;
    expect(verifyProgram(params, fn.value.body, fn.value.outputs)).toEqual([]);
    expect(verifyProgram(params, fn.grad!.program.body, fn.grad!.program.outputs)).toEqual([]);
    const directions = fn.hvp!.directions.map((d) => d.value);
    expect(verifyProgram([...params, ...directions], fn.hvp!.program.body, fn.hvp!.program.outputs)).toEqual(
      [],
    );
  });
});
