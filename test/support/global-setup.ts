// Runs once before the test files: the runtime's sources as JavaScript in
// test/.generated/runtime/, which the modules tests generate import. Those
// modules are plain JavaScript loaded by Node itself (vitest.config.ts marks
// test/.generated external), so thousands of them need no transform by Vite.

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { transformSync } from "esbuild";

const root = fileURLToPath(new URL("../..", import.meta.url));

export default function setup(): void {
  const out = join(root, "test/.generated/runtime");
  mkdirSync(out, { recursive: true });
  for (const file of readdirSync(join(root, "runtime")).filter((f) => f.endsWith(".ts"))) {
    const { code } = transformSync(readFileSync(join(root, "runtime", file), "utf8"), {
      loader: "ts",
      format: "esm",
    });
    writeFileSync(join(out, file.replace(/\.ts$/, ".js")), code);
  }
}
