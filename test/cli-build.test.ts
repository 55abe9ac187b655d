// gradc compile in a real build (docs/cli.md): inputs as folders and globs, --out-dir
// mirroring, the progress line, -o -, --emit js and --dts (the JavaScript runs under node and
// the declarations typecheck), --check over every file written, and outputs through symbolic
// links. Driven through `main()` in temporary folders.

import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { main, type CliIo } from "../compiler/cli.js";
import {
  exists,
  expectUsageError,
  read,
  run,
  tempDir,
  write,
  removeTempDirs,
} from "./support/cli-harness.js";

afterEach(removeTempDirs);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const scalar = "fn f(x: real, y: real) = 3 * x^2 * y\n";
const cube = "fn g(x: real) = x^3\n";
const vector = "fn loss(w: real[n], x: real[n]) = sum((w * x)^2)\n";

/** src/a.grad, src/models/b.grad, plus .grad files that folders and globs skip. */
function tree(): string {
  const dir = tempDir("gradc-build-");
  write(dir, "src/a.grad", scalar);
  write(dir, "src/models/b.grad", cube);
  write(dir, "src/node_modules/dep/c.grad", scalar);
  write(dir, "src/.cache/d.grad", scalar);
  write(dir, "src/notes.txt", "not a model\n");
  return dir;
}

describe("inputs: folders and globs", () => {
  it("a folder is every .grad file below it, outside node_modules and dot folders, in sorted order", async () => {
    const dir = tree();
    const r = await run(dir, "compile", "src");
    expect(r).toEqual({ code: 0, stdout: "wrote src/a.grad.ts\nwrote src/models/b.grad.ts\n", stderr: "" });
    expect(exists(dir, "src/node_modules/dep/c.grad.ts")).toBe(false);
    expect(exists(dir, "src/.cache/d.grad.ts")).toBe(false);
  });

  it("a quoted glob is expanded; duplicates are dropped, through symbolic links too", async () => {
    const dir = tree();
    fs.symlinkSync("a.grad", path.join(dir, "src/alias.grad"));
    const r = await run(dir, "check", "src/**/*.grad", "src/a.grad", "src", "--modes", "grad");
    expect(r).toEqual({ code: 0, stdout: "", stderr: "" });
    const compiled = await run(dir, "compile", "src/models/*.grad", "src/*.grad", "src/a.grad");
    expect(compiled.stdout).toBe("wrote src/a.grad.ts\nwrote src/models/b.grad.ts\n");
  });

  it("a glob that matches nothing, or a folder without .grad files, is a usage error naming it", async () => {
    const dir = tree();
    fs.mkdirSync(path.join(dir, "empty"));
    expectUsageError(
      await run(dir, "compile", "src/a.grad", "lib/**/*.grad"),
      "no .grad file matches lib/**/*.grad",
    );
    expectUsageError(await run(dir, "check", "empty"), "empty holds no .grad file");
    expect(exists(dir, "src/a.grad.ts")).toBe(false);
  });

  it("--out-dir mirrors the folders below where the glob starts", async () => {
    const dir = tree();
    write(dir, "src/models/deep/e.grad", cube);
    // Every match is below src/models, yet the glob starts at src: outputs keep the models folder.
    const r = await run(dir, "compile", "src/**/models/**/*.grad", "--out-dir", "gen");
    expect(r.stdout).toBe("wrote gen/models/b.grad.ts\nwrote gen/models/deep/e.grad.ts\n");
    const folder = await run(dir, "compile", "src/models", "--out-dir", "gen2");
    expect(folder.stdout).toBe("wrote gen2/b.grad.ts\nwrote gen2/deep/e.grad.ts\n");
  });
});

describe("the progress line", () => {
  /** Runs with a terminal's status line, recording what is drawn and what is printed, in order. */
  async function runOnTerminal(cwd: string, ...argv: string[]) {
    const events: string[] = [];
    const io: CliIo = {
      stdout: (s) => void events.push(`out ${s.trimEnd()}`),
      stderr: (s) => void events.push(`err ${s.trimEnd()}`),
      status: (line) => void events.push(`status ${line}`),
      cwd,
    };
    const code = await main(argv, io);
    return { code, events };
  }

  it("[i/n] FILE while compiling ten or more files, cleared before each message and at the end", async () => {
    const dir = tempDir("gradc-build-");
    for (let i = 0; i < 11; i++) write(dir, `m${String(i).padStart(2, "0")}.grad`, cube);
    write(dir, "m05.grad", "fn g(x: real) = q\n");
    const { code, events } = await runOnTerminal(dir, "compile", ".");
    expect(code).toBe(1);
    expect(events.slice(0, 4)).toEqual([
      "status [1/11] m00.grad",
      "status ",
      "out wrote m00.grad.ts",
      "status [2/11] m01.grad",
    ]);
    const bad = events.indexOf("status [6/11] m05.grad");
    expect(events[bad + 1]).toBe("status ");
    expect(events[bad + 2]).toMatch(/^err m05\.grad:1:17: error GC0101/);
    expect(events.slice(-4)).toEqual([
      "status [11/11] m10.grad",
      "status ",
      "out wrote m10.grad.ts",
      "err Found 1 error in 1 file.",
    ]);
    // --check prints nothing for fresh outputs: only the line, cleared at the end.
    write(dir, "m05.grad", cube);
    await run(dir, "compile", ".");
    const checked = await runOnTerminal(dir, "compile", ".", "--check");
    expect(checked.code).toBe(0);
    expect(checked.events.filter((e) => !e.startsWith("status ["))).toEqual(["status "]);
  });

  it("nothing with fewer files, or when the output is not a terminal", async () => {
    const dir = tempDir("gradc-build-");
    for (let i = 0; i < 9; i++) write(dir, `m${i}.grad`, cube);
    const { events } = await runOnTerminal(dir, "check", ".");
    expect(events).toEqual([]);
    write(dir, "m9.grad", cube);
    expect(await run(dir, "check", ".")).toEqual({ code: 0, stdout: "", stderr: "" });
  });
});

describe("-o -", () => {
  it("writes the module to standard output; diagnostics still go to standard error", async () => {
    const dir = tree();
    write(dir, "warn.grad", "fn pair(v: real[2]) -> real[2] = v * 2\n");
    const r = await run(dir, "compile", "warn.grad", "-o", "-", "--modes", "grad,hessian");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\/\/ Code generated by gradc from warn\.grad\. DO NOT EDIT\.\n/);
    expect(r.stderr).toMatch(/^warn\.grad:1:4: warning GC0302: /);
    expect(fs.readdirSync(dir).sort()).toEqual(["src", "warn.grad"]);
    // A glob naming one file is one input; naming two, it is refused.
    expect((await run(dir, "compile", "src/models/*.grad", "-o", "-")).stdout).toContain(
      "export function gGrad(",
    );
    expectUsageError(
      await run(dir, "compile", "src/**/*.grad", "-o", "-"),
      "-o takes a single input file, got 2; use --out-dir for several",
    );
  });
});

describe("outputs already up to date", () => {
  it("are left alone, their modification time kept, and said to be unchanged", async () => {
    const dir = tempDir("gradc-build-");
    write(dir, "model.grad", scalar);
    expect((await run(dir, "compile", "model.grad", "--source-map")).stdout).toBe(
      "wrote model.grad.ts.map\nwrote model.grad.ts\n",
    );
    const past = new Date(Date.now() - 60_000);
    fs.utimesSync(path.join(dir, "model.grad.ts"), past, past);
    expect((await run(dir, "compile", "model.grad", "--source-map")).stdout).toBe(
      "unchanged model.grad.ts.map\nunchanged model.grad.ts\n",
    );
    // File systems keep times to a fraction of a millisecond; a rewrite would move it by a minute.
    expect(Math.abs(fs.statSync(path.join(dir, "model.grad.ts")).mtimeMs - past.getTime())).toBeLessThan(1);
    write(dir, "model.grad", `# a comment\n${scalar}`);
    expect((await run(dir, "compile", "model.grad", "--source-map")).stdout).toBe(
      "wrote model.grad.ts.map\nwrote model.grad.ts\n",
    );
  });
});

describe("--emit js and --dts", () => {
  it("--emit js writes model.grad.js and model.grad.d.ts; the JavaScript runs under node", async () => {
    const dir = tempDir("gradc-build-");
    write(dir, "package.json", '{ "type": "module" }\n');
    write(dir, "model.grad", scalar);
    const r = await run(dir, "compile", "model.grad", "--emit", "js", "--inline-runtime");
    expect(r).toEqual({ code: 0, stdout: "wrote model.grad.d.ts\nwrote model.grad.js\n", stderr: "" });
    expect(read(dir, "model.grad.d.ts")).toMatch(
      /^\/\/ Code generated by gradc from model\.grad\. DO NOT EDIT\.\n/,
    );
    expect(read(dir, "model.grad.d.ts")).toMatch(
      /export declare function fGrad\(\s*x: number,\s*y: number,?\s*\)/,
    );
    write(
      dir,
      "main.js",
      'import { f, fGrad } from "./model.grad.js";\nconsole.log(JSON.stringify([f(2, 3), fGrad(2, 3)]));\n',
    );
    const out = execFileSync(process.execPath, ["main.js"], { cwd: dir, encoding: "utf8" });
    expect(JSON.parse(out)).toEqual([36, { value: 36, grad: { x: 36, y: 12 } }]);
  });

  it("--emit js --source-map maps the JavaScript's lines to the .grad lines (a stack trace names them)", async () => {
    const dir = tempDir("gradc-build-");
    write(dir, "package.json", '{ "type": "module" }\n');
    write(
      dir,
      "model.grad",
      "# a comment\n\nfn f(x: real[n], y: real[n]) -> real {\n  r = x - y\n  return sum(r^2)\n}\n",
    );
    const r = await run(dir, "compile", "model.grad", "--emit", "js", "--source-map", "--inline-runtime");
    expect(r.stdout).toBe("wrote model.grad.d.ts\nwrote model.grad.js.map\nwrote model.grad.js\n");
    expect(read(dir, "model.grad.js")).toMatch(/\n\/\/# sourceMappingURL=model\.grad\.js\.map\n$/);
    const map = JSON.parse(read(dir, "model.grad.js.map")) as { sources: string[]; file: string };
    expect(map).toMatchObject({ sources: ["model.grad"], file: "model.grad.js" });
    write(
      dir,
      "main.js",
      'import { f } from "./model.grad.js";\nf(new Float64Array(2), new Float64Array(3));\n',
    );
    const failed = spawnSync(process.execPath, ["--enable-source-maps", "main.js"], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(failed.stderr).toContain("ShapeError");
    expect(failed.stderr).toMatch(/model\.grad:3\b/);
  });

  it("the declarations of --emit js and of --dts typecheck a consumer", async () => {
    const dir = tempDir("gradc-build-");
    write(dir, "model.grad", vector);
    write(dir, "bundled/model.grad", vector);
    expect((await run(dir, "compile", "model.grad", "--emit", "js")).code).toBe(0);
    const dts = await run(dir, "compile", "bundled", "--dts");
    expect(dts).toEqual({
      code: 0,
      stdout: `wrote ${path.join("bundled", "model.d.grad.ts")}\n`,
      stderr: "",
    });
    expect(exists(dir, "bundled/model.grad.ts")).toBe(false);
    write(
      dir,
      "consumer.ts",
      [
        'import { loss, lossGrad } from "./model.grad.js";',
        'import { loss as bundledLoss } from "./bundled/model.grad";',
        "const w = new Float64Array([1, 2]);",
        "const value: number = loss(w, w) + bundledLoss(w, w);",
        "const gradient: Float64Array = lossGrad(w, w).grad.w;",
        "// @ts-expect-error: loss takes arrays",
        "loss(1, 2);",
        "export { value, gradient };",
        "",
      ].join("\n"),
    );
    const tsconfig = {
      compilerOptions: {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "bundler",
        allowArbitraryExtensions: true,
        strict: true,
        noEmit: true,
        types: [],
        paths: { "gradc-runtime": [path.join(root, "runtime/index.ts")] },
      },
      files: ["consumer.ts"],
    };
    write(dir, "tsconfig.json", JSON.stringify(tsconfig));
    const tsc = path.join(root, "node_modules/typescript/bin/tsc");
    let output = "";
    try {
      execFileSync(process.execPath, [tsc, "-p", dir], { encoding: "utf8" });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe("");
  });

  it("--check compares every file it would write", async () => {
    const dir = tempDir("gradc-build-");
    write(dir, "model.grad", scalar);
    expect((await run(dir, "compile", "model.grad", "--emit", "js")).code).toBe(0);
    expect(await run(dir, "compile", "model.grad", "--emit", "js", "--check")).toEqual({
      code: 0,
      stdout: "",
      stderr: "",
    });
    write(dir, "model.grad.d.ts", "// edited\n");
    fs.rmSync(path.join(dir, "model.grad.js"));
    expect(await run(dir, "compile", "model.grad", "--emit", "js", "--check")).toEqual({
      code: 1,
      stdout: "",
      stderr: "model.grad.d.ts is out of date\nmodel.grad.js is missing\n",
    });
    expect(await run(dir, "compile", "model.grad", "--dts", "--check")).toEqual({
      code: 1,
      stdout: "",
      stderr: "model.d.grad.ts is missing\n",
    });
  });

  it("output names: .js is right for --emit js, refused for TypeScript; -o - gives the JavaScript alone", async () => {
    const dir = tempDir("gradc-build-");
    write(dir, "model.grad", scalar);
    expectUsageError(
      await run(dir, "compile", "model.grad", "-o", "model.js"),
      "-o model.js: gradc writes TypeScript; name the output .ts (e.g. model.ts), or use --emit js",
    );
    expect((await run(dir, "compile", "model.grad", "--emit", "js", "-o", "out/model.mjs")).stdout).toBe(
      "wrote out/model.d.mts\nwrote out/model.mjs\n",
    );
    expectUsageError(
      await run(dir, "compile", "model.grad", "--emit", "js", "-o", "model.ts"),
      "-o model.ts: --emit js writes JavaScript; name the output .js, .mjs or .cjs (its declarations go beside it)",
    );
    const stdout = await run(dir, "compile", "model.grad", "--emit", "js", "-o", "-");
    expect(stdout.stdout).toContain("export function fGrad(x, y) {");
    expect(stdout.stdout).not.toContain("declare");
    // --emit-ir is --emit ir.
    const ir = await run(dir, "compile", "model.grad", "--emit", "ir", "-o", "-");
    expect((await run(dir, "compile", "model.grad", "--emit-ir", "-o", "-")).stdout).toBe(ir.stdout);
  });

  it("flags that do not go together", async () => {
    const dir = tempDir("gradc-build-");
    write(dir, "model.grad", scalar);
    for (const [argv, message] of [
      [
        ["--dts", "--emit", "js"],
        "--dts writes declarations instead of modules; it cannot be combined with --emit js",
      ],
      [
        ["--dts", "--out-dir", "gen"],
        "--dts writes model.d.grad.ts beside each input, where an import of the .grad file looks; it takes no --out-dir",
      ],
      [
        ["--emit", "ir", "--source-map"],
        "--source-map maps TypeScript or JavaScript output; it cannot be combined with --emit ir",
      ],
      [["--emit", "js", "--emit-ir"], "--emit-ir is --emit ir; it cannot be combined with --emit js"],
      [
        ["--emit", "wasm"],
        "option '--emit <kind>' argument 'wasm' is invalid. Allowed choices are ts, js, ir.",
      ],
    ] as const) {
      expectUsageError(await run(dir, "compile", "model.grad", ...argv), message);
    }
    expect(fs.readdirSync(dir)).toEqual(["model.grad"]);
  });
});

describe("outputs through symbolic links", () => {
  it("a linked output keeps its link and the file it points at is written, for each file written", async () => {
    const dir = tempDir("gradc-build-");
    write(dir, "model.grad", scalar);
    fs.mkdirSync(path.join(dir, "real"));
    fs.symlinkSync("real/model.js", path.join(dir, "model.grad.js"));
    fs.symlinkSync("real/model.d.ts", path.join(dir, "model.grad.d.ts"));
    const r = await run(dir, "compile", "model.grad", "--emit", "js");
    expect(r).toEqual({ code: 0, stdout: "wrote model.grad.d.ts\nwrote model.grad.js\n", stderr: "" });
    expect(fs.lstatSync(path.join(dir, "model.grad.js")).isSymbolicLink()).toBe(true);
    expect(fs.lstatSync(path.join(dir, "model.grad.d.ts")).isSymbolicLink()).toBe(true);
    expect(read(dir, "real/model.js")).toContain("export function fGrad(");
    expect(read(dir, "real/model.d.ts")).toContain("export declare function fGrad(");
    // --check reads through the links too.
    expect((await run(dir, "compile", "model.grad", "--emit", "js", "--check")).code).toBe(0);
  });

  it("a dangling link is written through: the file it names is created", async () => {
    const dir = tempDir("gradc-build-");
    write(dir, "model.grad", scalar);
    fs.symlinkSync("generated/model.ts", path.join(dir, "model.grad.ts"));
    expect((await run(dir, "compile", "model.grad")).code).toBe(0);
    expect(fs.lstatSync(path.join(dir, "model.grad.ts")).isSymbolicLink()).toBe(true);
    expect(read(dir, "generated/model.ts")).toContain("export function fGrad(");
  });
});
