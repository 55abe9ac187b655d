// Compiles .grad source and imports the generated module, so tests run the
// code users get. Modules are written under test/.generated/ (ignored by git),
// named by a hash of their code, as JavaScript (types stripped by esbuild) that
// Node loads itself: vitest.config.ts marks the folder external, so Vite does not
// transform each of the thousands of modules the tests generate. They import the
// runtime's sources, turned into JavaScript once per run by global-setup.ts.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { transformSync } from "esbuild";
import { compile, formatDiagnostic, type CompileOptions } from "../../compiler/index.js";

const generatedDir = join(dirname(fileURLToPath(import.meta.url)), "..", ".generated");

// Generated modules are typed; tests call their exports dynamically.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GeneratedModule = Record<string, any>;

/**
 * Compiles, or throws with the diagnostics. Unformatted unless `format: true` is given: prettier
 * changes no behaviour and no type, and the tests that check formatting ask for it.
 */
export async function compileOrThrow(source: string, options: CompileOptions = {}): Promise<string> {
  const { code, diagnostics } = await compile(source, { filename: "test.grad", format: false, ...options });
  if (code === undefined) {
    throw new Error(`compile failed:\n${diagnostics.map((d) => formatDiagnostic(d, source)).join("\n")}`);
  }
  return code;
}

/**
 * Compiles and imports. Unformatted by default (`format: false`): the same program in a tenth
 * of the compile time; tests of the code's text use `compileOrThrow`.
 */
export async function load(source: string, options: CompileOptions = {}): Promise<GeneratedModule> {
  const code = await compileOrThrow(source, {
    format: false,
    runtimeImport: "./runtime/index.js",
    ...options,
  });
  const file = join(generatedDir, `${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`);
  mkdirSync(generatedDir, { recursive: true });
  writeFileSync(file, transformSync(code, { loader: "ts", format: "esm" }).code);
  return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as GeneratedModule;
}
