// Typechecks generated modules with tsc under the strict settings the docs
// promise users, resolving the runtime package to its source.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** tsc's output for the given files (name → code); empty when they typecheck. */
export function typecheck(files: Record<string, string>): string {
  mkdirSync(join(root, "test/.generated"), { recursive: true });
  const dir = mkdtempSync(join(root, "test/.generated/tsc-"));
  for (const [name, code] of Object.entries(files)) writeFileSync(join(dir, name), code);
  const tsconfig = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2022"],
      types: [],
      strict: true,
      noUncheckedIndexedAccess: true,
      noUnusedLocals: true,
      noUnusedParameters: true,
      exactOptionalPropertyTypes: true,
      verbatimModuleSyntax: true,
      erasableSyntaxOnly: true,
      noEmit: true,
      paths: {
        "gradc-runtime": [join(root, "runtime/index.ts")],
        "gradc/runtime": [join(root, "runtime/index.ts")],
      },
    },
    files: Object.keys(files),
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  try {
    execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", dir], {
      encoding: "utf8",
    });
    return "";
  } catch (error) {
    return String((error as { stdout?: string }).stdout ?? error);
  }
}
