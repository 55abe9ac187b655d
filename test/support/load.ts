// Compiles .grad source and imports the generated module, so tests run the
// code users get. Modules are written under test/.generated/ (ignored by git),
// named by a hash of their code, so vitest transforms and caches them.

import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compile, formatDiagnostic, type CompileOptions } from "../../compiler/index.js";

const generatedDir = join(dirname(fileURLToPath(import.meta.url)), "..", ".generated");

// Generated modules are typed; tests call their exports dynamically.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type GeneratedModule = Record<string, any>;

export async function compileOrThrow(source: string, options: CompileOptions = {}): Promise<string> {
  const { code, diagnostics } = await compile(source, { filename: "test.grad", ...options });
  if (code === undefined) {
    throw new Error(`compile failed:\n${diagnostics.map((d) => formatDiagnostic(d, source)).join("\n")}`);
  }
  return code;
}

export async function load(source: string, options: CompileOptions = {}): Promise<GeneratedModule> {
  const code = await compileOrThrow(source, options);
  const file = join(generatedDir, `${createHash("sha256").update(code).digest("hex").slice(0, 16)}.ts`);
  mkdirSync(generatedDir, { recursive: true });
  writeFileSync(file, code);
  return (await import(/* @vite-ignore */ pathToFileURL(file).href)) as GeneratedModule;
}
