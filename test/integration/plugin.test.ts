// The bundler plugins: a .grad import compiles at bundle time under Vite, rolldown and esbuild, and the
// bundle runs; a broken .grad file fails the build with an error located in it; an edit reaches
// Vite's dev server; and the declarations of `gradc compile --dts` type the import.

import { createServer as createHttpServer } from "node:http";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { originalPositionFor, TraceMap } from "@jridgewell/trace-mapping";
import * as esbuild from "esbuild";
import ts from "typescript";
import { build, createServer, type HotPayload, type Rollup } from "vite";
import { rolldown } from "rolldown";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/compile.js";
import { declarationsOf } from "../../compiler/emit-js.js";
import gradcEsbuild, { type GradcPluginOptions } from "../../compiler/plugins/esbuild.js";
import gradcRollup from "../../compiler/plugins/rollup.js";
import gradcVite from "../../compiler/plugins/vite.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
// Outside this repository the runtime is the installed package; here, its sources.
const runtimeImport = join(root, "runtime/index.ts");

const model = `# a neuron's squared error
fn loss(w: real[n], b: real, x: real[n], y: real) -> real wrt w, b {
  z = w @ x + b
  return (y - z)^2
}
`;
const broken = `fn loss(w: real[n], b: real) -> real {
  return sum(w) + q
}
`;
// w·x + b = 1·2 + 2·3 + 0.5 = 8.5; the error (3 − 8.5)² = 30.25; d/dz = −2(3 − 8.5) = 11.
const entry = `import { loss, lossGrad } from "./model.grad";
export const value = loss(Float64Array.of(1, 2), 0.5, Float64Array.of(2, 3), 3);
export const { grad } = lossGrad(Float64Array.of(1, 2), 0.5, Float64Array.of(2, 3), 3);
`;

let dir: string;

/** A project folder: `main.ts` importing `model.grad`, whose text is given. */
function project(name: string, grad: string): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, "model.grad"), grad);
  writeFileSync(join(folder, "main.ts"), entry);
  return folder;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "gradc-plugin-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function viteBuild(folder: string) {
  return build({
    root: folder,
    configFile: false,
    logLevel: "silent",
    plugins: [gradcVite({ runtimeImport })],
    build: {
      lib: { entry: join(folder, "main.ts"), formats: ["es"], fileName: "main" },
      outDir: join(folder, "dist"),
      minify: false,
      sourcemap: true,
    },
  });
}

function esbuildBuild(folder: string, options: GradcPluginOptions = {}) {
  return esbuild.build({
    entryPoints: [join(folder, "main.ts")],
    outfile: join(folder, "out.mjs"),
    bundle: true,
    platform: "node",
    format: "esm",
    logLevel: "silent",
    plugins: [gradcEsbuild({ runtimeImport, ...options })],
  });
}

async function run(file: string): Promise<{ value: number; grad: { w: Float64Array; b: number } }> {
  return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as never;
}

function expectNeuronResults(module: { value: number; grad: { w: Float64Array; b: number } }) {
  expect(module.value).toBe(30.25);
  expect(module.grad).toEqual({ w: Float64Array.of(22, 33), b: 11 });
}

describe("under Vite", () => {
  it("compiles a .grad import into a bundle that computes the gradient", async () => {
    const folder = project("vite", model);
    await viteBuild(folder);
    const bundle = readFileSync(join(folder, "dist/main.mjs"), "utf8");
    expect(bundle).toContain("function lossGrad(");
    // The source map leads from the generated code to the .grad statement it computes.
    const map = new TraceMap(readFileSync(join(folder, "dist/main.mjs.map"), "utf8"));
    const line = bundle.split("\n").findIndex((l) => l.includes("const dz ="));
    expect(originalPositionFor(map, { line: line + 1, column: 1 })).toMatchObject({
      source: "../model.grad",
      line: 4,
    });
    expectNeuronResults(await run(join(folder, "dist/main.mjs")));
  });

  it("fails a build on a broken .grad file with the error's place in it and a code frame", async () => {
    const folder = project("vite-broken", broken);
    const failure = (await viteBuild(folder).catch((e: unknown) => e)) as { errors: Rollup.RollupError[] };
    expect(failure.errors).toHaveLength(1);
    const [error] = failure.errors;
    expect(error!.message).toContain("GC0101: unknown name 'q'");
    expect(error!.loc).toEqual({ file: join(folder, "model.grad"), line: 2, column: 18 });
    expect(error!.frame).toBe(" 2 |   return sum(w) + q\n   |                   ^");
  });

  it("lists every error of a file in order, each with its frame, placed at the first", async () => {
    const folder = project(
      "vite-errors",
      "fn f(x: real[3], y: real[4]) -> real {\n  a = x + y\n  return c\n}\n",
    );
    const failure = (await viteBuild(folder).catch((e: unknown) => e)) as { errors: Rollup.RollupError[] };
    const [error] = failure.errors;
    const file = join(folder, "model.grad");
    expect(error!.loc).toEqual({ file, line: 2, column: 6 });
    const message = error!.message.slice(error!.message.indexOf("2 errors:"));
    expect(message).toBe(
      "2 errors:\n\n" +
        `${file}:2:7: error GC0202: shapes real[3] and real[4] do not match for '+'\n` +
        " 2 |   a = x + y\n   |       ^^^^^\n\n" +
        `${file}:3:10: error GC0101: unknown name 'c'\n` +
        " 3 |   return c\n   |          ^",
    );
  });
});

describe("under Rollup's interface (rolldown)", () => {
  it("gradc/rollup compiles a .grad import into a bundle that computes the gradient, or fails with loc", async () => {
    const folder = project("rollup", model);
    const bundle = await rolldown({
      input: join(folder, "main.ts"),
      plugins: [gradcRollup({ runtimeImport })],
      logLevel: "silent",
    });
    await bundle.write({ file: join(folder, "out.mjs"), format: "es" });
    await bundle.close();
    expectNeuronResults(await run(join(folder, "out.mjs")));

    const broken_ = project("rollup-broken", broken);
    const failure = (await rolldown({
      input: join(broken_, "main.ts"),
      plugins: [gradcRollup({ runtimeImport })],
    })
      .then((b) => b.generate())
      .catch((e: unknown) => e)) as { errors?: Rollup.RollupError[] } & Rollup.RollupError;
    const error = failure.errors?.[0] ?? failure;
    expect(error.message).toContain("GC0101: unknown name 'q'");
    expect(error.loc).toEqual({ file: join(broken_, "model.grad"), line: 2, column: 18 });
  });
});

describe("under esbuild", () => {
  it("compiles a .grad import into a bundle that computes the gradient", async () => {
    const folder = project("esbuild", model);
    await esbuildBuild(folder);
    expectNeuronResults(await run(join(folder, "out.mjs")));
  });

  it("fails a build on a broken .grad file with the error's place in it", async () => {
    const folder = project("esbuild-broken", broken);
    const failure = (await esbuildBuild(folder).catch((e: unknown) => e)) as esbuild.BuildFailure;
    expect(failure.errors).toHaveLength(1);
    expect(failure.errors[0]!.text).toContain("GC0101: unknown name 'q'");
    const { file, line, column, lineText } = failure.errors[0]!.location!;
    expect({ file: resolve(file), line, column }).toEqual({
      file: join(folder, "model.grad"),
      line: 2,
      column: 18,
    });
    expect(lineText).toBe("  return sum(w) + q");
  });
});

describe("warnings", () => {
  it("reach the bundler as warnings, located, and the build goes on", async () => {
    const folder = project(
      "esbuild-warning",
      model
        .replace("-> real wrt w, b", "-> real[1] wrt w, b")
        .replace("return (y - z)^2", "return [(y - z)^2]"),
    );
    writeFileSync(join(folder, "main.ts"), `export { loss } from "./model.grad";\n`);
    const result = await esbuildBuild(folder, { modes: ["grad", "hessian"] });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]!.text).toContain("GC0302: 'loss' returns real[1]");
    expect(result.warnings[0]!.location).toMatchObject({
      line: 2,
      column: 3,
      lineText: expect.stringContaining("fn loss("),
    });
    const functions = await esbuildBuild(folder, {
      modes: ["grad", "hessian"],
      functions: { loss: ["vjp"] },
    });
    expect(functions.warnings).toEqual([]);
  });
});

describe("the project's configuration", () => {
  it("gives the modes, per file and per function, that the plugin's options leave unset", async () => {
    const folder = project("configured", model + "fn twice(x: real) = 2 * x\n");
    writeFileSync(
      join(folder, "main.ts"),
      `export { lossHessian, lossJvp, twiceJvp, twiceGrad } from "./model.grad";\n`,
    );
    const config = join(folder, "gradc.config.json");
    writeFileSync(
      config,
      JSON.stringify({
        modes: ["grad", "vjp"],
        functions: { loss: ["grad", "hessian"], elsewhere: ["jvp"] },
        overrides: [{ files: "configured/*.grad", modes: ["grad", "jvp"] }],
      }),
    );
    // Overrides' files are relative to the configuration's folder: this one names no file here.
    await esbuildBuild(folder, { config });
    const m = (await run(join(folder, "out.mjs"))) as unknown as Record<string, unknown>;
    expect(typeof m.lossHessian).toBe("function");
    expect(m.lossJvp).toBeUndefined();
    expect(typeof m.twiceGrad).toBe("function");
    expect(m.twiceJvp).toBeUndefined();
    writeFileSync(config, JSON.stringify({ overrides: [{ files: "*.grad", modes: ["grad", "jvp"] }] }));
    await esbuildBuild(folder, { config });
    const overridden = (await run(`${join(folder, "out.mjs")}?2`)) as unknown as Record<string, unknown>;
    expect(typeof overridden.twiceJvp).toBe("function");
    // The plugin's own options win over the configuration.
    await esbuildBuild(folder, { config, modes: ["grad"] });
    const own = (await run(`${join(folder, "out.mjs")}?3`)) as unknown as Record<string, unknown>;
    expect(own.twiceJvp).toBeUndefined();
    expect(own.lossHessian).toBeUndefined();
  });

  it("reports a mistake in it as a build error naming the file and the key", async () => {
    const folder = project("misconfigured", model);
    const config = join(folder, "gradc.config.json");
    writeFileSync(config, JSON.stringify({ modes: ["grad", "hesian"] }));
    const error = await esbuildBuild(folder, { config }).catch((e: { errors: { text: string }[] }) => e);
    expect((error as { errors: { text: string }[] }).errors[0]!.text).toMatch(
      /gradc\.config\.json.*modes.*hesian/,
    );
  });
});

describe("under Vite's dev server", () => {
  it("serves a .grad module as a module of its graph, recompiled and hot-reloaded when it changes", async () => {
    const folder = project("vite-dev", model);
    const hmrServer = createHttpServer();
    const server = await createServer({
      root: folder,
      configFile: false,
      logLevel: "silent",
      server: { middlewareMode: true, hmr: { server: hmrServer }, watch: null },
      plugins: [gradcVite({ runtimeImport })],
    });
    const client = server.environments.client;
    const sent: HotPayload[] = [];
    client.hot.send = (payload: HotPayload) => void sent.push(payload);
    const changed = async (file: string, text: string) => {
      sent.length = 0;
      writeFileSync(file, text);
      // What Vite's file watcher does when the file changes on disk.
      server.watcher.emit("change", file);
      await expect.poll(() => sent.length, { timeout: 5000 }).toBeGreaterThan(0);
    };
    try {
      const file = join(folder, "model.grad");
      await server.transformRequest("/main.ts");
      const before = await server.transformRequest("/model.grad");
      expect(before?.code).toContain("function loss(");
      const [node] = [...(client.moduleGraph.getModulesByFile(file) ?? [])];
      expect([...node!.importers].map((m) => m.file)).toEqual([join(folder, "main.ts")]);

      await changed(file, model.replace("(y - z)^2", "(y - z)^4"));
      expect(node!.transformResult).toBeNull();
      // Neither the module nor its importer accepts the update: the page reloads.
      expect(sent).toContainEqual(expect.objectContaining({ type: "full-reload" }));
      const after = await server.transformRequest("/model.grad");
      expect(after?.code).toContain("** 4");
      expect(before?.code).not.toContain("** 4");

      // An error while serving is what Vite's overlay shows: message, place and frame.
      await changed(file, broken);
      const error = (await server
        .transformRequest("/model.grad")
        .catch((e: unknown) => e)) as Rollup.RollupError;
      expect(error.message).toContain("GC0101: unknown name 'q'");
      expect(error.loc).toEqual({ file, line: 2, column: 18 });
      expect(error.frame).toContain("return sum(w) + q");
    } finally {
      await server.close();
      hmrServer.close();
    }
  });
});

describe("typed imports", () => {
  it("model.d.grad.ts types `import ... from './model.grad'` under allowArbitraryExtensions", async () => {
    const folder = join(dir, "types");
    mkdirSync(folder);
    const { code } = await compile(model, { filename: "model.grad", format: false });
    writeFileSync(join(folder, "model.d.grad.ts"), declarationsOf(code!));
    writeFileSync(join(folder, "main.ts"), entry);
    writeFileSync(
      join(folder, "wrong.ts"),
      `import { lossGrad } from "./model.grad";\nlossGrad(1, 2, 3, 4);\n`,
    );
    const program = ts.createProgram({
      rootNames: [join(folder, "main.ts"), join(folder, "wrong.ts")],
      options: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ESNext,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        allowArbitraryExtensions: true,
        lib: ["lib.es2022.d.ts"],
        types: [],
        strict: true,
        noEmit: true,
        paths: { "gradc-runtime": [runtimeImport], "gradc/runtime": [runtimeImport] },
      },
    });
    const errors = (name: string) =>
      ts
        .getPreEmitDiagnostics(program, program.getSourceFile(join(folder, name)))
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    expect(errors("main.ts")).toEqual([]);
    expect(errors("wrong.ts").join("\n")).toMatch(
      /'number' is not assignable to parameter of type 'Float64Array/,
    );
  });
});
