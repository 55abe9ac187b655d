// The configuration file (docs/cli.md#the-configuration-file): each format, every key
// validated with a message naming the file and the key, flags winning over keys, and modes
// for single functions. Driven through `main()` in temporary folders.

import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { defineConfig, type GradcConfig } from "../compiler/index.js";
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

const scalar = "fn f(x: real, y: real) = 3 * x^2 * y\n";
// One function with a scalar result, one without: hessian for the whole file warns (GC0302).
const mixed = "fn loss(x: real, y: real) = x^2 * y\nfn pair(v: real[2]) -> real[2] = v * 2\n";

/** A project: two models in src/, one in src/physics/. */
function project(): string {
  const dir = tempDir("gradc-config-");
  write(dir, "src/a.grad", scalar);
  write(dir, "src/physics/model.grad", mixed);
  return dir;
}

const wroteAll = "wrote gen/a.grad.ts\nwrote gen/physics/model.grad.ts\n";

describe("gradc.config in each format", () => {
  it("gradc.config.ts, typed with defineConfig from gradc", async () => {
    const dir = project();
    // A stand-in for the installed package: jiti resolves "gradc" from the config's folder.
    write(
      dir,
      "node_modules/gradc/package.json",
      '{ "name": "gradc", "type": "module", "main": "index.js" }',
    );
    write(dir, "node_modules/gradc/index.js", "export const defineConfig = (config) => config;\n");
    write(
      dir,
      "gradc.config.ts",
      [
        'import { defineConfig, type GradcConfig } from "gradc";',
        'const outDir: string = "gen";',
        'export default defineConfig({ inputs: ["src/**/*.grad"], outDir } satisfies GradcConfig);',
        "",
      ].join("\n"),
    );
    expect(await run(dir, "compile")).toEqual({ code: 0, stdout: wroteAll, stderr: "" });
    expect(read(dir, "gen/a.grad.ts")).toContain("export function fGrad(");
  });

  it.each([
    ["gradc.config.mts", 'export default { inputs: ["src"], outDir: "gen" } as const;\n'],
    ["gradc.config.js", 'export default { inputs: ["src"], outDir: "gen" };\n'],
    ["gradc.config.mjs", 'export default { inputs: "src/**/*.grad", outDir: "gen" };\n'],
    ["gradc.config.json", '{ "inputs": ["src"], "outDir": "gen" }\n'],
    ["package.json", '{ "name": "app", "gradc": { "inputs": ["src"], "outDir": "gen" } }\n'],
  ])("%s", async (file, text) => {
    const dir = project();
    write(dir, file, text);
    expect(await run(dir, "compile")).toEqual({ code: 0, stdout: wroteAll, stderr: "" });
    expect(await run(dir, "compile", "--check")).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("CommonJS configs work too: module.exports in .js of a CommonJS package or in .cjs; .cts", async () => {
    const dir = project();
    write(dir, "gradc.config.js", 'module.exports = { inputs: "src", outDir: "gen" };\n');
    expect((await run(dir, "compile")).stdout).toBe(wroteAll);
    for (const [file, text] of [
      ["gradc.config.cjs", 'module.exports = { inputs: "src", outDir: "gen" };\n'],
      ["gradc.config.cts", 'export default { inputs: "src", outDir: "gen" };\n'],
    ] as const) {
      const module = project();
      write(module, "package.json", '{ "type": "module" }\n');
      write(module, file, text);
      expect(await run(module, "compile")).toEqual({ code: 0, stdout: wroteAll, stderr: "" });
    }
  });

  it("--config names one elsewhere; its folder is the base of its paths", async () => {
    const dir = project();
    write(dir, "src/gradc.json", '{ "inputs": ["physics"], "outDir": "../gen" }\n');
    const r = await run(dir, "compile", "--config", "src/gradc.json");
    expect(r).toEqual({ code: 0, stdout: "wrote gen/model.grad.ts\n", stderr: "" });
    const inside = await run(path.join(dir, "src"), "check", "--config", "gradc.json");
    expect(inside).toEqual({ code: 0, stdout: "", stderr: "" });
  });

  it("package.json without a gradc key is no configuration", async () => {
    const dir = project();
    write(dir, "package.json", '{ "name": "app" }\n');
    expectUsageError(
      await run(dir, "compile"),
      "no input files: name .grad files, folders or globs, or list them as inputs in gradc.config.ts",
    );
    expect((await run(dir, "compile", "src/a.grad")).code).toBe(0);
  });
});

describe("what the configuration sets, and flags that win over it", () => {
  it("files on the command line replace inputs; the other keys still apply", async () => {
    const dir = project();
    write(dir, "gradc.config.json", '{ "inputs": ["src"], "outDir": "gen", "checks": false }\n');
    const r = await run(dir, "compile", "src/a.grad");
    expect(r).toEqual({ code: 0, stdout: "wrote gen/a.grad.ts\n", stderr: "" });
    expect(read(dir, "gen/a.grad.ts")).not.toContain("checkScalar(");
  });

  it("-o and --out-dir win over outDir; --checks over checks; --modes over modes", async () => {
    const dir = project();
    write(
      dir,
      "gradc.config.json",
      '{ "inputs": ["src"], "outDir": "gen", "checks": false, "modes": ["jvp"], "runtimeImport": "./rt.js" }\n',
    );
    expect((await run(dir, "compile", "src/a.grad", "-o", "out/a.ts", "--checks")).code).toBe(0);
    const out = read(dir, "out/a.ts");
    expect(out).toContain("checkScalar(");
    expect(out).toContain('from "./rt.js"');
    expect(out).toContain("export function fJvp(");
    expect(out).not.toContain("export function fGrad(");
    expect((await run(dir, "compile", "--out-dir", "other", "--modes", "grad")).stdout).toBe(
      "wrote other/a.grad.ts\nwrote other/physics/model.grad.ts\n",
    );
    expect(read(dir, "other/a.grad.ts")).toContain("export function fGrad(");
    expect(read(dir, "other/a.grad.ts")).not.toContain("export function fJvp(");
  });

  it("sourceMap, inlineRuntime and emit, and the flags that turn them off", async () => {
    const dir = project();
    write(dir, "gradc.config.json", '{ "inputs": "src/a.grad", "sourceMap": true, "inlineRuntime": true }\n');
    expect((await run(dir, "compile")).stdout).toBe("wrote src/a.grad.ts.map\nwrote src/a.grad.ts\n");
    expect(read(dir, "src/a.grad.ts")).not.toMatch(/^import /m);
    expect((await run(dir, "compile", "--no-source-map", "--no-inline-runtime", "-o", "b.ts")).stdout).toBe(
      "wrote b.ts\n",
    );
    expect(read(dir, "b.ts")).toMatch(/^import .* from "gradc-runtime";$/m);
    // The configuration's source map goes with JavaScript output too (mapped from its own lines)...
    expect((await run(dir, "compile", "--emit", "js")).stdout).toBe(
      "wrote src/a.grad.d.ts\nwrote src/a.grad.js.map\nwrote src/a.grad.js\n",
    );
    // ...and not with declarations alone.
    expect((await run(dir, "compile", "--dts")).stdout).toBe("wrote src/a.d.grad.ts\n");

    write(dir, "gradc.config.json", '{ "inputs": "src/a.grad", "emit": "js" }\n');
    expect((await run(dir, "compile", "--check")).stderr).toBe(
      "src/a.grad.d.ts is out of date\nsrc/a.grad.js is out of date\n",
    );
    expect((await run(dir, "compile")).stdout).toBe("wrote src/a.grad.d.ts\nwrote src/a.grad.js\n");
    expect(await run(dir, "compile", "--check")).toEqual({ code: 0, stdout: "", stderr: "" });
    write(dir, "gradc.config.json", '{ "inputs": "src/a.grad", "dts": true }\n');
    expect((await run(dir, "compile")).stdout).toBe("wrote src/a.d.grad.ts\n");
    expect((await run(dir, "compile", "--no-dts", "-o", "c.ts")).stdout).toBe("wrote c.ts\n");
  });

  it("without files and without inputs: a usage error that says where inputs go", async () => {
    const dir = project();
    expectUsageError(
      await run(dir, "compile"),
      "no input files: name .grad files, folders or globs, or list them as inputs in gradc.config.ts",
    );
    write(dir, "gradc.config.json", '{ "modes": ["grad"] }\n');
    expectUsageError(
      await run(dir, "check"),
      "no input files: name them on the command line, or list them as inputs in gradc.config.json",
    );
  });
});

describe("per-file and per-function modes", () => {
  it("functions: a Hessian for the scalar function only, and no GC0302", async () => {
    const dir = project();
    write(
      dir,
      "gradc.config.json",
      JSON.stringify({ inputs: ["src"], functions: { loss: ["grad", "vjp", "hessian"] } }),
    );
    const r = await run(dir, "compile");
    expect(r).toEqual({
      code: 0,
      stdout: "wrote src/a.grad.ts\nwrote src/physics/model.grad.ts\n",
      stderr: "",
    });
    const out = read(dir, "src/physics/model.grad.ts");
    expect(out).toContain("export function lossHessian(");
    expect(out).toContain("export function pairForward(");
    expect(out).not.toContain("export function pairHessian(");
    expect(read(dir, "src/a.grad.ts")).not.toContain("Hessian");
    expect(await run(dir, "check")).toEqual({ code: 0, stdout: "", stderr: "" });
    // --modes on the command line replaces every mode the configuration sets.
    const flag = await run(dir, "check", "--modes", "hessian");
    expect(flag.stderr).toContain("warning GC0302: 'pair' returns real[2]");
  });

  it("overrides: modes for some files, and functions of those files; a later one wins", async () => {
    const dir = project();
    write(
      dir,
      "gradc.config.ts",
      [
        "export default {",
        '  inputs: ["src/**/*.grad"],',
        '  modes: ["grad"],',
        "  overrides: [",
        '    { files: "src/physics", modes: ["jvp"], functions: { loss: ["hessian"] } },',
        '    { files: ["src/physics/*.grad"], functions: { pair: ["vjp"] } },',
        "  ],",
        "};",
        "",
      ].join("\n"),
    );
    expect((await run(dir, "compile")).code).toBe(0);
    const exports = (file: string) =>
      [...read(dir, file).matchAll(/^export function (\w+)/gm)].map((m) => m[1]);
    expect(exports("src/a.grad.ts")).toEqual(["f", "fGrad"]);
    expect(exports("src/physics/model.grad.ts")).toEqual([
      "loss",
      "lossHvp",
      "lossHessian",
      "pair",
      "pairForward",
      "pairBackward",
    ]);
  });

  it("a function name no file defines is an error naming the key", async () => {
    const dir = project();
    write(dir, "gradc.config.json", JSON.stringify({ inputs: ["src"], functions: { lose: ["hessian"] } }));
    expectUsageError(
      await run(dir, "compile"),
      "gradc.config.json: functions.lose names no function: none of the 2 files it applies to defines a function 'lose'",
    );
    write(
      dir,
      "gradc.config.json",
      JSON.stringify({
        inputs: ["src"],
        overrides: [{ files: "src/a.grad", functions: { loss: ["hessian"] } }],
      }),
    );
    expectUsageError(
      await run(dir, "check"),
      "gradc.config.json: overrides[0].functions.loss names no function: the file it applies to defines no function 'loss'",
    );
    expect(exists(dir, "src/a.grad.ts")).toBe(false);
    // While a file it applies to does not parse, what it defines is unknown: its syntax error is reported.
    write(dir, "src/a.grad", "fn loss(x: real) = x +\n");
    const broken = await run(dir, "check");
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^src\/a\.grad:1:23: error GC0001/);
  });
});

describe("invalid configurations: exit 2, one line naming the file and the key", () => {
  it.each([
    [
      '{ "inputs": 3 }',
      "gradc.config.json: inputs must be a glob, directory or file, or a non-empty array of them, got 3",
    ],
    [
      '{ "inputs": [] }',
      "gradc.config.json: inputs must be a glob, directory or file, or a non-empty array of them, got an array",
    ],
    ['{ "inputs": ["src", ""] }', 'gradc.config.json: inputs[1] must be a non-empty string, got ""'],
    [
      '{ "outdir": "gen" }',
      "gradc.config.json: outdir is not a gradc setting (did you mean outDir?); known: inputs, outDir, modes, functions, overrides, runtimeImport, inlineRuntime, checks, sourceMap, emit, dts",
    ],
    ['{ "outDir": 1 }', "gradc.config.json: outDir must be a non-empty string, got 1"],
    [
      '{ "modes": "grad" }',
      'gradc.config.json: modes must be an array of modes (valid modes: grad, vjp, jvp, jacobian, hessian), got "grad"',
    ],
    [
      '{ "modes": ["grad", "hessain"] }',
      'gradc.config.json: modes has an unknown mode "hessain" (valid modes: grad, vjp, jvp, jacobian, hessian)',
    ],
    [
      '{ "modes": [] }',
      "gradc.config.json: modes needs at least one mode (valid modes: grad, vjp, jvp, jacobian, hessian)",
    ],
    [
      '{ "functions": ["loss"] }',
      "gradc.config.json: functions must be an object mapping function names to arrays of modes, got an array",
    ],
    [
      '{ "functions": { "loss": "hessian" } }',
      'gradc.config.json: functions.loss must be an array of modes (valid modes: grad, vjp, jvp, jacobian, hessian), got "hessian"',
    ],
    ['{ "overrides": {} }', "gradc.config.json: overrides must be an array of { files, modes, functions }"],
    [
      '{ "overrides": [{ "modes": ["grad"] }] }',
      "gradc.config.json: overrides[0].files is missing: name the files the override applies to",
    ],
    [
      '{ "overrides": [{ "files": "src" }] }',
      "gradc.config.json: overrides[0] changes nothing: give it modes or functions",
    ],
    [
      '{ "overrides": [{ "files": "src", "mode": ["grad"] }] }',
      "gradc.config.json: overrides[0].mode is not a gradc setting (did you mean modes?); known: files, modes, functions",
    ],
    [
      '{ "inputs": "src", "overrides": [{ "files": "lib/**/*.grad", "modes": ["grad"] }] }',
      "gradc.config.json: overrides[0].files: no .grad file matches lib/**/*.grad",
    ],
    ['{ "runtimeImport": "" }', 'gradc.config.json: runtimeImport must be a non-empty string, got ""'],
    ['{ "checks": "no" }', 'gradc.config.json: checks must be true or false, got "no"'],
    ['{ "sourceMap": "yes" }', 'gradc.config.json: sourceMap must be true, false or "inline", got "yes"'],
    ['{ "emit": "wasm" }', 'gradc.config.json: emit must be "ts", "js" or "ir", got "wasm"'],
    [
      '{ "dts": true, "emit": "js" }',
      'gradc.config.json: dts writes declarations instead of modules; it cannot be combined with emit: "js"',
    ],
    ['{ "inputs": ["lib/*.grad"] }', "gradc.config.json: inputs: no .grad file matches lib/*.grad"],
    ['{ "inputs": ["src", "lib"] }', "gradc.config.json: inputs: lib does not exist"],
    ["[1]", "gradc.config.json: the configuration must be an object of settings, got an array"],
    ['{ "inputs": ', "gradc.config.json is not valid JSON: Unexpected end of JSON input"],
  ])("%s", async (json, message) => {
    const dir = project();
    write(dir, "gradc.config.json", json);
    expectUsageError(await run(dir, "compile"), message);
    expect(exists(dir, "src/a.grad.ts")).toBe(false);
  });

  it("package.json names the key under gradc", async () => {
    const dir = project();
    write(dir, "package.json", '{ "name": "app", "gradc": { "inputs": ["src"], "checks": 0 } }\n');
    expectUsageError(await run(dir, "compile"), "package.json: gradc.checks must be true or false, got 0");
    write(dir, "package.json", '{ "name": "app", "gradc": "src" }\n');
    expectUsageError(
      await run(dir, "compile"),
      'package.json: gradc must be an object of settings, got "src"',
    );
  });

  it("a module that does not load: its syntax error's place, or its exception's message", async () => {
    const dir = project();
    write(dir, "gradc.config.ts", "const a: number = 1;\nexport default { inputs: [ };\n");
    expectUsageError(
      await run(dir, "compile"),
      "gradc.config.ts:2:27: cannot load it: syntax error: Unexpected token",
    );
    write(dir, "gradc.config.ts", 'throw new Error("no config today");\n');
    expectUsageError(await run(dir, "compile"), "gradc.config.ts: cannot load it: no config today");
    write(dir, "gradc.config.ts", 'export const inputs = ["src"];\n');
    expectUsageError(
      await run(dir, "compile"),
      "gradc.config.ts has no default export; write export default defineConfig({ ... })",
    );
  });

  it("two configurations in one folder, or a --config that is missing", async () => {
    const dir = project();
    write(dir, "gradc.config.json", '{ "inputs": ["src"] }\n');
    write(dir, "package.json", '{ "gradc": { "inputs": ["src"] } }\n');
    expectUsageError(
      await run(dir, "compile"),
      'found gradc.config.json and package.json\'s "gradc" key; keep one of them',
    );
    expectUsageError(
      await run(dir, "compile", "--config", "nope.json"),
      "cannot read nope.json: no such file",
    );
    expectUsageError(
      await run(dir, "compile", "--config", "src/a.grad"),
      "src/a.grad: a configuration is a .ts, .mts, .cts, .js, .mjs, .cjs or .json file, or package.json",
    );
  });
});

describe("defineConfig", () => {
  it("returns the configuration as given, typed", () => {
    const config = {
      inputs: ["src/**/*.grad"],
      functions: { loss: ["grad", "hessian"] },
    } satisfies GradcConfig;
    expect(defineConfig(config)).toBe(config);
    // @ts-expect-error: not a mode
    defineConfig({ modes: ["hessain"] });
    // @ts-expect-error: not a key
    defineConfig({ outdir: "gen" });
  });
});
