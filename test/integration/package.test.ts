// What `npm pack` puts in the two tarballs. gradc: the built compiler with its types, the CLI, the
// docs the README links to and the license; no tests, benchmarks or scratch output. gradc-runtime:
// the built runtime, its sources (which --inline-runtime copies from) and no dependencies, so an
// app's production install holds only it. (`npm test` builds first; each `prepack` builds too.)

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The paths `npm pack` would put in the tarball of the package at `where` ("." or a workspace). */
function packedFiles(where: string): Set<string> {
  const workspace = where === "." ? [] : ["-w", where];
  const output = execFileSync("npm", ["pack", ...workspace, "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
  });
  return new Set((JSON.parse(output) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path));
}

describe("the npm packages", () => {
  it("gradc ships the built compiler, the docs and the license, and nothing of the repository's own", () => {
    const files = packedFiles(".");
    for (const path of [
      "package.json",
      "README.md",
      "LICENSE",
      "bin/gradc.js",
      "dist/compiler/index.js",
      "dist/compiler/index.d.ts",
      "dist/compiler/cli.js",
      "dist/compiler/runtime.js",
      "dist/compiler/runtime.d.ts",
      "docs/explain.md",
      "docs/language.md",
      "docs/generated-api.md",
    ]) {
      expect(files, path).toContain(path);
    }
    const stray = [...files].filter((f) =>
      /^(test|bench|examples|runtime)\/|\.generated\/|node_modules\//.test(f),
    );
    expect(stray).toEqual([]);
  });

  it("gradc-runtime ships the built runtime and its sources, and depends on nothing", () => {
    const files = packedFiles("runtime");
    for (const path of [
      "package.json",
      "README.md",
      "LICENSE",
      "dist/index.js",
      "dist/index.d.ts",
      "index.ts",
      "kernels.ts",
    ]) {
      expect(files, path).toContain(path);
    }
    expect([...files].filter((f) => /\.test\.|node_modules\/|tsconfig/.test(f))).toEqual([]);
    const manifest = JSON.parse(readFileSync(`${root}/runtime/package.json`, "utf8")) as Record<
      string,
      unknown
    >;
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.peerDependencies).toBeUndefined();
  });

  it("gradc depends on the runtime of its own version", () => {
    const gradc = JSON.parse(readFileSync(`${root}/package.json`, "utf8")) as {
      version: string;
      dependencies: Record<string, string>;
    };
    const runtime = JSON.parse(readFileSync(`${root}/runtime/package.json`, "utf8")) as { version: string };
    expect(gradc.dependencies["gradc-runtime"]).toBe(runtime.version);
    expect(runtime.version).toBe(gradc.version);
  });
});
