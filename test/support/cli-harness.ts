// What the CLI tests share: temporary project folders, files written and read in them, and
// `main()` run with its output captured. A test file using tempDir calls
// `afterEach(removeTempDirs)` itself: test files share this module, so a hook registered here
// would run for the first of them only.

import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "vitest";
import { main } from "../../compiler/cli.js";

const dirs: string[] = [];

/** Removes the folders tempDir made. */
export function removeTempDirs(): void {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** A new empty folder, removed after the test. */
export function tempDir(prefix = "gradc-cli-"): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/** Writes `file` (folders created as needed) and returns its full path. */
export function write(dir: string, file: string, text: string): string {
  const full = path.join(dir, file);
  fs.mkdirSync(path.dirname(full), { recursive: true });
  fs.writeFileSync(full, text);
  return full;
}

export function read(dir: string, file: string): string {
  return fs.readFileSync(path.join(dir, file), "utf8");
}

export function exists(dir: string, file: string): boolean {
  return fs.existsSync(path.join(dir, file));
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `gradc ARGV...` in `cwd`, through `main()`, with what it prints. */
export async function run(cwd: string, ...argv: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const code = await main(argv, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), cwd });
  return { code, stdout, stderr };
}

/** A usage error: exit 2, one `gradc:` line, no stack trace, nothing written. */
export function expectUsageError(r: Run, message: string): void {
  expect(r).toEqual({ code: 2, stdout: "", stderr: `gradc: ${message}\n` });
}
