// gradc compile --watch on the real file system, in temporary folders: new files the inputs
// come to match are compiled, a syntax error is reported and a fix recovers, a removed file
// stops being compiled and nothing is deleted. Waits poll (every 25 ms) for up to 10 s: far
// above what a change takes (well under a second), far below the test's timeout.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main, watch, type CliIo, type Watcher } from "../compiler/cli.js";

const scalar = "fn f(x: real, y: real) = 3 * x^2 * y\n";
const cube = "fn g(x: real) = x^3\n";
const broken = "fn h(x: real) = x +\n";
const fixed = "fn h(x: real) = x + 1\n";

const dirs: string[] = [];
let watcher: Watcher | undefined;
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gradc-watch-"));
  dirs.push(dir);
  return dir;
}
function write(dir: string, file: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
}
function read(dir: string, file: string): string | undefined {
  try {
    return fs.readFileSync(path.join(dir, file), "utf8");
  } catch {
    return undefined;
  }
}

/** An io that records what is printed. */
function recorder(cwd: string): CliIo & { out: () => string; err: () => string } {
  let stdout = "";
  let stderr = "";
  return {
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    cwd,
    out: () => stdout,
    err: () => stderr,
  };
}

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("gradc compile --watch with folders and globs", () => {
  it("compiles a new file the glob matches; a syntax error is reported, and a fix is written", async () => {
    const dir = tempDir();
    write(dir, "src/a.grad", scalar);
    const io = recorder(dir);
    watcher = await watch(["src/**/*.grad"], { outDir: "gen" }, io);
    expect(io.out()).toBe(
      "wrote gen/a.grad.ts\nwatching 1 file for changes, and the inputs' folders for new files (Ctrl-C to stop)\n",
    );

    // A new file in a new folder below the glob's start: compiled, its folder mirrored.
    write(dir, "src/physics/b.grad", cube);
    await waitFor(() => read(dir, "gen/physics/b.grad.ts") !== undefined, "the new file's output");
    expect(read(dir, "gen/physics/b.grad.ts")).toContain("export function gGrad(");

    // A new file with a syntax error: its diagnostic, no output; then the fix is compiled.
    write(dir, "src/c.grad", broken);
    await waitFor(() => io.err().includes("src/c.grad:1:20: error GC0001"), "the syntax error");
    await watcher.idle();
    expect(read(dir, "gen/c.grad.ts")).toBeUndefined();
    write(dir, "src/c.grad", fixed);
    await waitFor(() => read(dir, "gen/c.grad.ts") !== undefined, "the fixed file's output");
    expect(read(dir, "gen/c.grad.ts")).toContain("export function hGrad(");

    // Files the glob does not match, and the outputs themselves, start nothing.
    write(dir, "src/notes.txt", "x\n");
    write(dir, "src/node_modules/dep/d.grad", scalar);
    write(dir, "src/.hidden/e.grad", scalar);
    await watcher.idle();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await watcher.idle();
    expect(fs.readdirSync(path.join(dir, "gen")).sort()).toEqual(["a.grad.ts", "c.grad.ts", "physics"]);
    expect(io.err()).not.toContain("internal error");
  });

  it("a removed file is no longer compiled and nothing is deleted; back again, it is compiled", async () => {
    const dir = tempDir();
    write(dir, "models/a.grad", scalar);
    write(dir, "models/b.grad", cube);
    const io = recorder(dir);
    watcher = await watch(["models"], {}, io);
    expect(io.out()).toBe(
      "wrote models/a.grad.ts\nwrote models/b.grad.ts\n" +
        "watching 2 files for changes, and the inputs' folders for new files (Ctrl-C to stop)\n",
    );

    fs.rmSync(path.join(dir, "models/a.grad"));
    await waitFor(() => io.err().includes("was removed"), "the removal");
    expect(io.err()).toBe(
      "gradc: models/a.grad was removed; no longer compiling it (models/a.grad.ts is left as it is)\n",
    );
    expect(read(dir, "models/a.grad.ts")).toContain("export function f(");

    // The other file is still watched.
    write(dir, "models/b.grad", "fn g(x: real) = x^4\n");
    await waitFor(
      () => read(dir, "models/b.grad.ts")?.includes("x ** 4") === true,
      "the edited file's output",
    );

    // Back again, it is a new file the folder holds.
    const before = io.out().length;
    write(dir, "models/a.grad", "fn f(x: real) = 2 * x\n");
    await waitFor(
      () => io.out().slice(before).includes("wrote models/a.grad.ts"),
      "the returned file's output",
    );
    expect(read(dir, "models/a.grad.ts")).toContain("2 * x");
  });

  it("a new file that cannot be compiled where the options say is reported once, and the rest go on", async () => {
    const dir = tempDir();
    write(dir, "src/a.grad", scalar);
    const io = recorder(dir);
    watcher = await watch(["src/*.grad"], { output: "out.ts" }, io);
    write(dir, "src/b.grad", cube);
    await waitFor(() => io.err().includes("src/b.grad"), "the refusal");
    write(dir, "src/a.grad", "fn f(x: real) = 5 * x\n");
    await waitFor(() => read(dir, "out.ts")?.includes("5 * x") === true, "the edited file's output");
    expect(io.err()).toBe(
      "gradc: not compiling src/b.grad: -o takes a single input file, got 2; use --out-dir for several\n",
    );
  });

  it("gradc compile --watch uses the configuration's inputs and per-function modes for new files", async () => {
    const dir = tempDir();
    write(dir, "src/a.grad", scalar);
    write(
      dir,
      "gradc.config.json",
      JSON.stringify({
        inputs: ["src"],
        outDir: "gen",
        overrides: [{ files: "src/physics", functions: { loss: ["grad", "hessian"] } }],
      }),
    );
    const io = recorder(dir);
    // main resolves only when the watch ends: run it, and stop it as Ctrl-C would.
    let stdout = "";
    const stop = new AbortController();
    const done = main(["compile", "--watch"], {
      ...io,
      stdout: (s) => void (stdout += s),
      signal: stop.signal,
    });
    await waitFor(() => stdout.includes("watching"), "the first build");
    expect(stdout).toContain("wrote gen/a.grad.ts\n");
    write(dir, "src/physics/model.grad", "fn loss(x: real) = x^3\nfn pair(v: real[2]) -> real[2] = v * 2\n");
    await waitFor(() => read(dir, "gen/physics/model.grad.ts") !== undefined, "the new file's output");
    const out = read(dir, "gen/physics/model.grad.ts")!;
    expect(out).toContain("export function lossHessian(");
    expect(out).toContain("export function pairForward(");
    expect(io.err()).toBe("");
    stop.abort();
    expect(await done).toBe(0);
    expect(stdout.endsWith("wrote gen/physics/model.grad.ts\n")).toBe(true);
  });
});
