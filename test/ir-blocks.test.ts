// Blocks in the IR: an instruction may own nested blocks (a loop owns its body), which read
// the values around them. The printer, the verifier and the optimizer recurse into them; the
// passes that do not take them yet (derivatives, scheduling, printing as TypeScript) fail
// loudly. Checked on a hand-built loop, run by a small interpreter before and after optimizing.

import { describe, expect, it } from "vitest";
import { Builder, ValueFactory } from "../compiler/builder.js";
import { forward } from "../compiler/forward.js";
import { printProgram, sourceName, type Block, type Instr, type Value } from "../compiler/ir.js";
import { eliminateDeadCode, optimize } from "../compiler/optimize.js";
import { primitiveOf } from "../compiler/primitives.js";
import { reverse } from "../compiler/reverse.js";
import { schedule } from "../compiler/schedule.js";
import { verifyProgram } from "../compiler/verify-ir.js";

type Data = number | Float64Array;

/** Runs a program of scalars and vectors: element-wise operations, constants, dims and loops. */
function run(body: readonly Instr[], env: Map<number, Data>, dims: Record<string, number>): void {
  for (const instr of body) {
    const args = instr.args.map((a) => env.get(a.id)!);
    let value: Data;
    if (instr.op === "const") value = instr.attrs.value;
    else if (instr.op === "dim") value = dims[instr.attrs.dim]!;
    else if (instr.op === "loop") value = runLoop(instr.blocks![0]!, args, env, dims);
    else {
      const evaluate = primitiveOf(instr).evaluate!;
      const n = args.find((a): a is Float64Array => typeof a !== "number")?.length;
      const at = (a: Data, i: number) => (typeof a === "number" ? a : a[i]!);
      value =
        n === undefined
          ? evaluate(...(args as number[]))
          : Float64Array.from({ length: n }, (_, i) => evaluate(...args.map((a) => at(a, i))));
    }
    env.set(instr.result.id, value);
  }
}

function runLoop(
  block: Block,
  [start, end, init]: Data[],
  env: Map<number, Data>,
  dims: Record<string, number>,
) {
  let carried = init!;
  for (let i = start as number; i < (end as number); i++) {
    const inner = new Map(env);
    inner.set(block.params[0]!.id, i).set(block.params[1]!.id, carried);
    run(block.body, inner, dims);
    carried = inner.get(block.results[0]!.id)!;
  }
  return carried;
}

/**
 * s = x; for t in 0..T { s = s * exp(a) + t }, with a multiplication by 1, an exp(a) that the
 * block recomputes, and a dead sin(s) inside the body; the loop's result plus exp(a) outside.
 */
function program() {
  const values = new ValueFactory();
  const x = values.make(["n"], sourceName("x"));
  const a = values.make([], sourceName("a"));
  const b = new Builder(values);
  const growth = b.apply("exp", [a], {}, "growth");
  const body = b.block(
    [[], ["n"]],
    (inner, [t, s]) => {
      const same = inner.mul(s!, inner.one());
      const again = inner.apply("exp", [a]);
      inner.apply("sin", [s!], {}, "dead");
      return [inner.add(inner.mul(same, again), t!)];
    },
    [sourceName("t"), sourceName("s")],
  );
  const final = b.applyWithBlocks(
    "loop",
    [b.constant(0), b.apply("dim", [], { dim: "T" }, "T"), x],
    [body],
    {},
    "s",
  );
  const out = b.add(final, growth);
  return { values, inputs: [x, a], b, out, final, names: values.nameOf };
}

/**
 * The program's output for x = [1, 2], a = log 2, T = 3: the loop gives s = 8x + (0·4 + 1·2 + 2)
 * = [12, 20], and the output is s + exp(a) = [14, 22].
 */
function outputOf(body: readonly Instr[], inputs: readonly Value[], out: Value): number[] {
  const env = new Map<number, Data>([
    [inputs[0]!.id, new Float64Array([1, 2])],
    [inputs[1]!.id, Math.log(2)],
  ]);
  run(body, env, { T: 3 });
  return [...(env.get(out.id) as Float64Array)];
}

describe("blocks in the IR", () => {
  it("print nested under their owner, with parameters and the values they yield", () => {
    const { b, inputs, out, names } = program();
    expect(printProgram("f", inputs, b.body, [out], names)).toBe(
      [
        "program f(%x.0: real[n], %a.1: real) {",
        "  %growth.2: real = exp %a.1",
        "  %c.11: real = const[value=0]",
        "  %T.12: real = dim[dim=T]",
        "  %s.13: real[n] = loop %c.11 %T.12 %x.0",
        "    block(%t.3: real, %s.4: real[n]) {",
        "      %c.5: real = const[value=1]",
        "      %s_times_1.6: real[n] = mul %s.4 %c.5",
        "      %exp_a.7: real = exp %a.1",
        "      %dead.8: real[n] = sin %s.4",
        "      %s_times_1_times_exp_a.9: real[n] = mul %s_times_1.6 %exp_a.7",
        "      %add.10: real[n] = add %s_times_1_times_exp_a.9 %t.3",
        "      yield %add.10",
        "    }",
        "  %add.14: real[n] = add %s.13 %growth.2",
        "  return %add.14",
        "}",
      ].join("\n"),
    );
  });

  it("are well formed to the verifier, and the program runs: s = 8x + 4 + exp(a)", () => {
    const { b, inputs, out } = program();
    expect(verifyProgram(inputs, b.body, [out])).toEqual([]);
    expect(outputOf(b.body, inputs, out)).toEqual([14, 22]);
  });

  it("are optimized in a scope of their own: folded, deduplicated with what is around them, pruned", () => {
    const { b, values, inputs, out } = program();
    const optimized = optimize({ body: b.body, outputs: [out] }, values);
    expect(verifyProgram(inputs, optimized.body, optimized.outputs)).toEqual([]);
    const loop = optimized.body.find((i) => i.op === "loop")!;
    // s·1 is s, exp(a) is the one computed before the loop, sin(s) is dead.
    expect(loop.blocks![0]!.body.map((i) => i.op)).toEqual(["mul", "add"]);
    expect(loop.blocks![0]!.body[0]!.args.map((v) => v.id)).toEqual([
      loop.blocks![0]!.params[1]!.id,
      optimized.body.find((i) => i.op === "exp")!.result.id,
    ]);
    expect(outputOf(optimized.body, inputs, optimized.outputs[0]!)).toEqual([14, 22]);
  });

  it("keep what they read from around them alive, and die with their owner", () => {
    const { b, out, final } = program();
    const live = eliminateDeadCode(b.body, [final]);
    // The block computes its own exp(a) (until CSE), so the one before the loop is dead here.
    expect(live.map((i) => i.op)).toEqual(["const", "dim", "loop"]);
    expect(live[2]!.blocks![0]!.body.map((i) => i.op)).toEqual(["const", "mul", "exp", "mul", "add"]);
    expect(eliminateDeadCode(b.body, [b.body[0]!.result]).map((i) => i.op)).toEqual(["exp"]);
    expect(eliminateDeadCode(b.body, [out])).toHaveLength(b.body.length);
  });

  it("keep an outer value alive that only a block reads", () => {
    const values = new ValueFactory();
    const x = values.make([], sourceName("x"));
    const b = new Builder(values);
    const outer = b.apply("cos", [x]);
    const body = b.block([[], []], (inner, [, s]) => [inner.mul(s!, outer)]);
    const final = b.applyWithBlocks("loop", [b.constant(0), b.constant(2), x], [body]);
    expect(eliminateDeadCode(b.body, [final]).map((i) => i.op)).toEqual(["cos", "const", "const", "loop"]);
  });

  describe("the verifier", () => {
    const scalarLoop = (build: (b: Builder, s: Value, outer: Value) => Value) => {
      const values = new ValueFactory();
      const x = values.make([], sourceName("x"));
      const b = new Builder(values);
      const outer = b.apply("cos", [x]);
      const body = b.block([[], []], (inner, [, s]) => [build(inner, s!, outer)]);
      const final = b.applyWithBlocks("loop", [b.constant(0), b.constant(2), x], [body]);
      return { values, x, b, final, body };
    };

    it("rejects a use outside the block of a value defined in it", () => {
      const { b, x, final, body } = scalarLoop((inner, s) => inner.apply("sin", [s]));
      const leaked = body.body[0]!.result;
      const after = b.add(final, leaked);
      expect(verifyProgram([x], b.body, [after]).join("\n")).toMatch(
        /%v\d+\.\d+ is used before it is defined/,
      );
    });

    it("rejects a block parameter read after the block", () => {
      const { b, x, final, body } = scalarLoop((inner, s) => inner.apply("sin", [s]));
      const after = b.add(final, body.params[1]!);
      expect(verifyProgram([x], b.body, [after])).toHaveLength(1);
    });

    it("rejects a block whose result is not in its scope, and one of the wrong signature", () => {
      const { b, x, final, body } = scalarLoop((inner, s) => inner.apply("sin", [s]));
      const loop = b.body.at(-1)!;
      const wrongResult: Instr = { ...loop, blocks: [{ ...body, results: [b.body[0]!.result, x] }] };
      expect(verifyProgram([x], [...b.body.slice(0, -1), wrongResult], [final]).join("\n")).toMatch(
        /'loop' block 0 should take \[\] \[\] and yield \[\]/,
      );
      const noBlock: Instr = { ...loop, blocks: [] };
      expect(verifyProgram([x], [...b.body.slice(0, -1), noBlock], [final]).join("\n")).toMatch(
        /'loop' owns 1 blocks, given 0/,
      );
      const inner = body.body[0]!.result;
      const otherScope: Instr = { ...loop, blocks: [{ ...body, body: [], results: [inner] }] };
      expect(verifyProgram([x], [...b.body.slice(0, -1), otherScope], [final]).join("\n")).toMatch(
        /the block result %v\d+\.\d+ is not in scope/,
      );
    });

    it("rejects blocks on an operation that owns none, and a value defined in two blocks", () => {
      const { b, x, final, body } = scalarLoop((inner, s) => inner.apply("sin", [s]));
      const cos = b.body[0]!;
      const withBlock: Instr = { ...cos, blocks: [body] };
      expect(verifyProgram([x], [withBlock, ...b.body.slice(1)], [final]).join("\n")).toMatch(
        /'cos' owns 0 blocks, given 1/,
      );
      const loop = b.body.at(-1)!;
      expect(verifyProgram([x], [...b.body, loop], [final]).join("\n")).toMatch(/is defined twice/);
    });

    it("is what the builder checks too: a block of the wrong signature is an internal error", () => {
      const values = new ValueFactory();
      const x = values.make(["n"], sourceName("x"));
      const b = new Builder(values);
      const body = b.block([[]], (_inner, [t]) => [t!]);
      expect(() => b.applyWithBlocks("loop", [b.constant(0), b.constant(1), x], [body])).toThrow(
        "internal: primitive 'loop': block 0 should take [] [n] and yield [n]",
      );
    });
  });

  it("fail loudly, naming the operation, in the passes that do not take them yet", () => {
    const { b, values, inputs, out } = program();
    const fn = {
      name: "f",
      params: inputs,
      paramNames: ["x", "a"],
      body: b.body,
      outputs: [{ name: "value", value: out }],
    };
    const seed = values.make(["n"], "seed");
    expect(() => reverse(fn, ["a"], [seed], values)).toThrow(
      "internal: reverse mode does not take 'loop' yet",
    );
    const direction = values.make([], "a_dot");
    expect(() => forward(b.body, new Map([[inputs[1]!.id, direction]]), values)).toThrow(
      "internal: forward mode does not take 'loop' yet",
    );
    expect(() => schedule(b.body, [out], () => false)).toThrow(
      "internal: scheduling does not take 'loop' yet",
    );
  });
});
