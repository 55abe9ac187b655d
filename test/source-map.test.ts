// Source maps: `compile(source, { sourceMap })` and `gradc compile --source-map`. The map is read
// back with trace-mapping; the last test runs generated code under `node --enable-source-maps` and
// checks that an error's stack names the .grad line.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";
import { buildSync } from "esbuild";
import { afterEach, describe, expect, it } from "vitest";
import { main, watch, type Watcher } from "../compiler/cli.js";
import { compile, type CompileOptions, type SourceMap } from "../compiler/index.js";
import { commentLine, generatedFunctions } from "../compiler/source-map.js";
import { callingSource } from "./support/call-sources.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const neuronSource = fs.readFileSync(path.join(root, "test/golden/neuron.grad"), "utf8");
const mlpSource = fs.readFileSync(path.join(root, "examples/mlp.grad"), "utf8");
const allModes = ["grad", "vjp", "jvp", "jacobian", "hessian"] as const;

async function compileWithMap(source: string, options: CompileOptions) {
  const result = await compile(source, { sourceMap: true, ...options });
  expect(result.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return { code: result.code!, map: result.map! };
}

/** The .grad position of each generated line (1-based lines, as the code's lines are numbered). */
function traced(code: string, map: SourceMap): ({ line: number; column: number } | undefined)[] {
  const tracer = new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]);
  return code.split("\n").map((_, i) => {
    const at = originalPositionFor(tracer, { line: i + 1, column: 0 });
    return at.line === null ? undefined : { line: at.line, column: at.column };
  });
}

/** The 1-based line of the first generated line that is exactly `text` (trimmed), after `from`. */
function lineOf(code: string, text: string, from = 0): number {
  const index = code.split("\n").findIndex((line, i) => i >= from && line.trim() === text);
  expect(index, text).toBeGreaterThanOrEqual(0);
  return index + 1;
}

/** The 1-based line of each `fn NAME(` of a source. */
function fnLines(source: string): Map<string, number> {
  const lines = new Map<string, number>();
  source.split("\n").forEach((line, i) => {
    const name = /^fn (\w+)\(/.exec(line)?.[1];
    if (name !== undefined) lines.set(name, i + 1);
  });
  return lines;
}

describe("compile({ sourceMap })", () => {
  it("leaves the code unchanged and maps the neuron's generated lines to its statements", async () => {
    const plain = await compile(neuronSource, { filename: "neuron.grad" });
    const { code, map } = await compileWithMap(neuronSource, { filename: "test/golden/neuron.grad" });
    expect(code).toBe(plain.code);
    expect(plain).not.toHaveProperty("map");
    expect(map).toMatchObject({
      version: 3,
      sources: ["neuron.grad"],
      sourcesContent: [neuronSource],
      names: [],
    });

    const at = traced(code, map);
    const grad = lineOf(code, "export function neuronGrad(") - 1;
    // fn neuron is line 3; z = w @ x + b line 4, a = max(0, z) line 5, return (y - a)^2 line 6.
    expect(at[0]).toBeUndefined(); // the header
    expect(at[lineOf(code, "export function neuron(") - 1]).toEqual({ line: 3, column: 0 });
    expect(at[lineOf(code, 'const n = checkVector(w, "w");') - 1]).toEqual({ line: 3, column: 0 });
    expect(at[lineOf(code, "const z = dot(w, x) + b;") - 1]).toEqual({ line: 4, column: 2 });
    expect(at[lineOf(code, "const a = Math.max(0, z);") - 1]).toEqual({ line: 5, column: 2 });
    expect(at[lineOf(code, "const value = (y - a) ** 2;") - 1]).toEqual({ line: 6, column: 2 });
    expect(at[lineOf(code, "const space = workspace?.part(1);", grad) - 1]).toEqual({ line: 3, column: 0 });
    expect(at[lineOf(code, "// backward through line 6: return (y - a)^2", grad) - 1]).toEqual({
      line: 6,
      column: 2,
    });
    expect(at[lineOf(code, "const dz = 0 >= z ? 0 : da;", grad) - 1]).toEqual({ line: 5, column: 2 });
    expect(at[lineOf(code, "return { value, grad: { w: dw, b: dz } };", grad) - 1]).toEqual({
      line: 4,
      column: 2,
    });
    // The tape's interface and the JSDoc are not code of a function: unmapped.
    expect(at[lineOf(code, "export interface NeuronTape {") - 1]).toBeUndefined();
  });

  it("maps every line of every generated function into its .grad function, in every mode", async () => {
    const { code, map } = await compileWithMap(neuronSource, { filename: "neuron.grad", modes: allModes });
    const at = traced(code, map);
    const functions = generatedFunctions(code.split("\n"));
    expect(functions.map((f) => f.name)).toEqual([
      "neuron",
      "neuronGrad",
      "neuronForward",
      "neuronBackward",
      "neuronJvp",
      "neuronJacobian",
      "neuronHvp",
      "neuronHessian",
    ]);
    for (const fn of functions) {
      expect(at[fn.first], fn.name).toEqual({ line: 3, column: 0 });
      for (let i = fn.first; i <= fn.last; i++) {
        if (code.split("\n")[i]!.trim() === "") continue;
        expect([3, 4, 5, 6], `${fn.name}, line ${i + 1}`).toContain(at[i]!.line);
      }
    }
  });

  it("maps a called function's private derivatives (gPullback) to its lines, and each comment to its last line", async () => {
    // g, f and fv start at the lines `fn` names; f and fv keep their calls of g as calls.
    const starts = fnLines(callingSource);
    const { code, map } = await compileWithMap(callingSource, { filename: "calls.grad", format: false });
    const lines = code.split("\n");
    const at = traced(code, map);
    const owner = (name: string) => (name.startsWith("fv") ? "fv" : name.startsWith("f") ? "f" : "g");
    const names = generatedFunctions(lines).map((f) => f.name);
    expect(names).toContain("gPullback");
    for (const fn of generatedFunctions(lines)) {
      const first = starts.get(owner(fn.name))!;
      const next = Math.min(...[...starts.values()].filter((l) => l > first), Infinity);
      expect(at[fn.first], fn.name).toEqual({ line: first, column: 0 });
      for (let i = fn.first; i <= fn.last; i++) {
        if (lines[i]!.trim() === "") continue;
        expect(at[i]!.line, `${fn.name}: ${lines[i]}`).toBeGreaterThanOrEqual(first);
        expect(at[i]!.line, `${fn.name}: ${lines[i]}`).toBeLessThan(next);
        const named = commentLine(lines[i]!);
        if (named !== undefined) expect(at[i]!.line).toBe(named);
      }
    }
  });

  it("maps the lines of a function that inlines another to the caller's or the callee's statements", async () => {
    // mlp.grad: loss calls predict, which is inlined; each line is one of predict's or loss's.
    const predict = fnLines(mlpSource).get("predict")!;
    const loss = fnLines(mlpSource).get("loss")!;
    const sourceLines = mlpSource.split("\n").length;
    const { code, map } = await compileWithMap(mlpSource, { filename: "mlp.grad", format: false });
    const lines = code.split("\n");
    const at = traced(code, map);
    for (const fn of generatedFunctions(lines).filter((f) => f.name.startsWith("loss"))) {
      expect(at[fn.first], fn.name).toEqual({ line: loss, column: 0 });
      for (let i = fn.first; i <= fn.last; i++) {
        if (lines[i]!.trim() === "") continue;
        const line = at[i]!.line;
        expect((line > predict && line <= predict + 2) || (line >= loss && line <= sourceLines)).toBe(true);
        const named = commentLine(lines[i]!);
        if (named !== undefined) expect(line, lines[i]).toBe(named);
      }
    }
  });

  it('with "inline" appends the same map to the code as a base64 data URL', async () => {
    const plain = await compileWithMap(neuronSource, { filename: "neuron.grad" });
    const inline = await compile(neuronSource, { filename: "neuron.grad", sourceMap: "inline" });
    const prefix = "//# sourceMappingURL=data:application/json;base64,";
    expect(inline.code!.startsWith(plain.code)).toBe(true);
    const comment = inline.code!.slice(plain.code.length);
    expect(comment.startsWith(prefix) && comment.endsWith("\n")).toBe(true);
    expect(JSON.parse(Buffer.from(comment.slice(prefix.length), "base64").toString("utf8"))).toEqual(
      plain.map,
    );
    expect(inline.map).toEqual(plain.map);
  });

  it("reports a bad sourceMap option, and one with emit: ir, as GC0301", async () => {
    const bad = await compile(neuronSource, { sourceMap: "external" as unknown as boolean });
    expect(bad.code).toBeUndefined();
    expect(bad.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["GC0301", 'sourceMap must be true, false or "inline"'],
    ]);
    const ir = await compile(neuronSource, { sourceMap: true, emit: "ir" });
    expect(ir.diagnostics.map((d) => d.code)).toEqual(["GC0301"]);
    const off = await compile(neuronSource, { sourceMap: false });
    expect(off.code).toBeDefined();
    expect(off).not.toHaveProperty("map");
  });
});

describe("commentLine", () => {
  it("reads the innermost .grad line a generated comment names, and nothing from other lines", () => {
    expect(commentLine("  // line 16: H = tanh(X @ W1 + b1)")).toBe(16);
    expect(commentLine("  // backward through line 17: return H @ w2 + b2")).toBe(17);
    expect(commentLine("  // tangent of backward through line 5: a = max(0, z)")).toBe(5);
    expect(commentLine("  // line 25 → predict, line 16: H = tanh(X @ W1 + b1)")).toBe(16);
    expect(commentLine("  // line 4: z = line(3) # line 9: not this")).toBe(4);
    expect(commentLine("  // x acts element by element: its Jacobian is diagonal")).toBeUndefined();
    expect(commentLine("  const line = 3; // line 4: z")).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------
// The CLI

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradc-map-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function write(dir: string, file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
}
const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), "utf8");

async function run(cwd: string, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), cwd });
  return { code, stdout, stderr };
}

/** A matrix parameter (line 8's `fn loss`), a call inlined, and an `inv` on line 14. */
const model = `# A layer, its loss, and a solve.

fn predict(W: real[m, n], x: real[n]) -> real[m] {
  h = W @ x
  return tanh(h)
}

fn loss(W: real[m, n], x: real[n], y: real[m]) -> real wrt W {
  r = predict(W, x) - y
  return sum(r^2)
}

fn solve(A: real[n, n], b: real[n]) -> real {
  z = inv(A) @ b
  return sum(z)
}
`;

describe("gradc compile --source-map", () => {
  it("writes OUT.ts.map beside the output, its source relative to it, and links it from the output", async () => {
    const dir = tempDir();
    write(dir, "src/model.grad", model);
    const r = await run(dir, "compile", "src/model.grad", "--out-dir", "gen", "--source-map");
    expect(r).toEqual({
      code: 0,
      stdout: "wrote gen/model.grad.ts.map\nwrote gen/model.grad.ts\n",
      stderr: "",
    });
    const plain = (await compile(model, { filename: "src/model.grad" })).code!;
    expect(read(dir, "gen/model.grad.ts")).toBe(`${plain}//# sourceMappingURL=model.grad.ts.map\n`);
    const map = JSON.parse(read(dir, "gen/model.grad.ts.map")) as SourceMap;
    expect(map).toMatchObject({
      version: 3,
      file: "model.grad.ts",
      sources: ["../src/model.grad"],
      sourcesContent: [model],
    });
    expect(traced(plain, map)[lineOf(plain, "const inverse_A = inv(A);") - 1]).toEqual({
      line: 14,
      column: 2,
    });
    expect(fs.readdirSync(path.join(dir, "gen")).sort()).toEqual(["model.grad.ts", "model.grad.ts.map"]);

    // Without the flag: the output as ever, no link.
    const again = await run(dir, "compile", "src/model.grad", "-o", "plain/model.grad.ts");
    expect(again.code).toBe(0);
    expect(read(dir, "plain/model.grad.ts")).toBe(plain);
    expect(fs.existsSync(path.join(dir, "plain/model.grad.ts.map"))).toBe(false);
  });

  it("--check reports a missing or stale map", async () => {
    const dir = tempDir();
    write(dir, "model.grad", model);
    expect((await run(dir, "compile", "model.grad", "--source-map")).code).toBe(0);
    expect(await run(dir, "compile", "model.grad", "--source-map", "--check")).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
    // Compiled without a map, the linked output is out of date.
    expect((await run(dir, "compile", "model.grad", "--check")).stderr).toBe(
      "model.grad.ts is out of date\n",
    );

    write(dir, "model.grad.ts.map", "{}\n");
    expect(await run(dir, "compile", "model.grad", "--source-map", "--check")).toEqual({
      code: 1,
      stdout: "",
      stderr: "model.grad.ts.map is out of date\n",
    });
    fs.rmSync(path.join(dir, "model.grad.ts.map"));
    expect(await run(dir, "compile", "model.grad", "--source-map", "--check")).toEqual({
      code: 1,
      stdout: "",
      stderr: "model.grad.ts.map is missing\n",
    });
  });

  it("--inline-source-map embeds the map, and -o - takes only that", async () => {
    const dir = tempDir();
    write(dir, "src/model.grad", model);
    const r = await run(dir, "compile", "src/model.grad", "-o", "out/m.ts", "--inline-source-map");
    expect(r).toEqual({ code: 0, stdout: "wrote out/m.ts\n", stderr: "" });
    expect(fs.readdirSync(path.join(dir, "out"))).toEqual(["m.ts"]);
    const last = read(dir, "out/m.ts").trimEnd().split("\n").at(-1)!;
    const prefix = "//# sourceMappingURL=data:application/json;base64,";
    expect(last.startsWith(prefix)).toBe(true);
    const map = JSON.parse(Buffer.from(last.slice(prefix.length), "base64").toString("utf8")) as SourceMap;
    expect(map).toMatchObject({ file: "m.ts", sources: ["../src/model.grad"], sourcesContent: [model] });

    const stdout = await run(dir, "compile", "src/model.grad", "-o", "-", "--inline-source-map");
    expect(stdout.code).toBe(0);
    expect(stdout.stdout).toContain(prefix);

    for (const argv of [
      ["-o", "-", "--source-map"],
      ["--source-map", "--inline-source-map"],
      ["--emit-ir", "--source-map"],
      ["--emit-ir", "--inline-source-map"],
    ]) {
      const usage = await run(dir, "compile", "src/model.grad", ...argv);
      expect(usage.code, argv.join(" ")).toBe(2);
      expect(usage.stderr).toMatch(/^gradc: .*\n$/);
    }
  });

  it("--watch rewrites the map with the output", async () => {
    const dir = tempDir();
    write(dir, "model.grad", model);
    let stdout = "";
    const io = { stdout: (s: string) => void (stdout += s), stderr: () => {}, cwd: dir };
    let watcher: Watcher | undefined = await watch(["model.grad"], { sourceMap: true }, io);
    try {
      expect(stdout).toContain("wrote model.grad.ts.map\nwrote model.grad.ts\n");
      write(dir, "model.grad", `\n\n${model}`);
      const deadline = Date.now() + 10_000;
      while (!read(dir, "model.grad.ts.map").includes("\\n\\n# A layer")) {
        if (Date.now() > deadline) throw new Error("timed out waiting for the new map");
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await watcher.idle();
      expect(read(dir, "model.grad.ts").endsWith("//# sourceMappingURL=model.grad.ts.map\n")).toBe(true);
    } finally {
      await watcher.close();
      watcher = undefined;
    }
  });

  it("turns the stack trace of an error in generated code into .grad lines under node --enable-source-maps", async () => {
    const dir = tempDir();
    write(dir, "src/model.grad", model);
    // The runtime as JavaScript (test/support/global-setup.ts writes it before the tests).
    const runtime = pathToFileURL(path.join(root, "test/.generated/runtime/index.js")).href;
    const r = await run(
      dir,
      "compile",
      "src/model.grad",
      "--out-dir",
      "gen",
      "--source-map",
      "--runtime-import",
      runtime,
    );
    expect(r.code).toBe(0);
    // Types stripped by esbuild, which reads the linked map and chains it into its own.
    buildSync({
      entryPoints: [path.join(dir, "gen/model.grad.ts")],
      outfile: path.join(dir, "gen/model.grad.js"),
      format: "esm",
      sourcemap: true,
      sourcesContent: true,
      logLevel: "silent",
    });
    write(
      dir,
      "main.mjs",
      `import { loss, lossGrad, solve } from "./gen/model.grad.js";
import { matrix } from ${JSON.stringify(runtime)};
const calls = {
  loss: () => loss(matrix(2, 3), new Float64Array(4), new Float64Array(2)),
  lossGrad: () => lossGrad(matrix(2, 3), new Float64Array(3), new Float64Array(5)),
  solve: () => solve(matrix(2, 2), new Float64Array(2)),
};
for (const [name, call] of Object.entries(calls)) {
  try {
    call();
    console.log(name, "did not throw");
  } catch (error) {
    console.log(error.stack);
  }
}
`,
    );
    const started = Date.now();
    const node = spawnSync(process.execPath, ["--enable-source-maps", "main.mjs"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(node.stderr).toBe("");
    const grad = `${path.join(dir, "src", "model.grad")}`;
    // A ShapeError from the argument checks: the function's `fn` line.
    expect(node.stdout).toContain("ShapeError: x has length 4, but n = 3");
    expect(node.stdout).toContain(`at loss (${grad}:8:1)`);
    expect(node.stdout).toContain("ShapeError: y has length 5, but m = 2");
    expect(node.stdout).toContain(`at lossGrad (${grad}:8:1)`);
    // A SingularMatrixError from inv: the statement's line and column.
    expect(node.stdout).toContain("SingularMatrixError");
    expect(node.stdout).toContain(`at solve (${grad}:14:3)`);
  });
});
