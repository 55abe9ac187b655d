// What `npm pack` puts in gradc's tarball: the built compiler and runtime with their types, the
// CLI, the docs the README links to and the license; no tests, benchmarks or scratch output.
// (`npm test` builds first; the tarball's own `prepack` builds too.)

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("the npm package", () => {
  it("ships the built files, the docs and the license, and nothing of the repository's own", () => {
    const output = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    const files = new Set(
      (JSON.parse(output) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path),
    );
    for (const path of [
      "package.json",
      "README.md",
      "LICENSE",
      "bin/gradc.js",
      "dist/compiler/index.js",
      "dist/compiler/index.d.ts",
      "dist/compiler/cli.js",
      "dist/runtime/index.js",
      "dist/runtime/index.d.ts",
      "docs/explain.md",
      "docs/language.md",
      "docs/generated-api.md",
    ]) {
      expect(files, path).toContain(path);
    }
    const stray = [...files].filter((f) => /^(test|bench|examples)\/|\.generated\/|node_modules\//.test(f));
    expect(stray).toEqual([]);
  });
});
