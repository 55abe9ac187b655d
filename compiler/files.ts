// Where an output really lands, and writing it there safely. Paths are
// compared after following symbolic links, so `-o here/model.grad` with
// `here -> .` is seen to be the input itself; a symlinked output keeps its link
// (the file it points at is replaced); devices and pipes (`/dev/stdout`) are
// written in place; directories are created one level at a time, so a path
// under a file system that refuses them (`/proc`) fails instead of looping.
// And which files the inputs name: files, directories and globs.

import { randomBytes } from "node:crypto";
import { lstat, mkdir, readlink, realpath, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { glob, isDynamicPattern } from "tinyglobby";

/** The most links followed before a path is treated as a loop, as the kernel does. */
const maxLinks = 40;

/**
 * The absolute path `file` refers to with every symbolic link resolved, for the
 * part of it that exists (links that dangle are followed too); the missing
 * rest is appended as written.
 */
export async function realTarget(file: string): Promise<string> {
  let current = path.resolve(file);
  const missing: string[] = [];
  for (let links = 0; ;) {
    try {
      return path.join(await realpath(current), ...missing);
    } catch {
      const link = await readlink(current).catch(() => undefined);
      if (link !== undefined && links++ < maxLinks) {
        current = path.resolve(path.dirname(current), link);
        continue;
      }
      const parent = path.dirname(current);
      if (parent === current) return path.join(current, ...missing);
      missing.unshift(path.basename(current));
      current = parent;
    }
  }
}

/**
 * Writes `contents` to `file`. A regular file (or a new one) is replaced
 * atomically: a temporary file beside the real target is renamed over it, so
 * readers never see half an output. A symbolic link is followed and kept.
 */
export async function writeOutput(file: string, contents: string): Promise<void> {
  // stat follows links itself; a path through /proc (as /dev/stdout is) may not resolve to a name.
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory() === true) throw Object.assign(new Error("is a directory"), { code: "EISDIR" });
  if (existing !== undefined && !existing.isFile()) {
    // A device or a pipe cannot be renamed over: write through it.
    await writeFile(file, contents, "utf8");
    return;
  }
  const target = await realTarget(file);
  const dir = path.dirname(target);
  await ensureDirectory(dir);
  const temp = path.join(
    dir,
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  try {
    await writeFile(temp, contents, { encoding: "utf8", flag: "wx" });
    await rename(temp, target);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
}

/** Creates `dir` and its missing parents, one mkdir each (Node's recursive mkdir can loop under /proc). */
async function ensureDirectory(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = dir;
  for (;;) {
    const info = await lstat(current).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === "ENOENT") return undefined;
      throw error;
    });
    if (info !== undefined) break;
    const parent = path.dirname(current);
    if (parent === current) break;
    missing.unshift(current);
    current = parent;
  }
  for (const d of missing) {
    await mkdir(d).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== "EEXIST") throw error;
    });
  }
}

/** Whether `file` is a regular file (following links); false when it is missing. */
export async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined))?.isFile() === true;
}

// ---------------------------------------------------------------------------
// Inputs: files, directories and globs

/** An input that names nothing: a glob matching no file, a directory holding no .grad file. */
export class InputError extends Error {}

/** One input as the user wrote it, and what kind of thing it names. */
export interface InputSpec {
  readonly pattern: string;
  readonly kind: "file" | "directory" | "glob";
  /**
   * The folder the outputs mirror below (absolute): a directory itself, a glob's fixed part
   * (`src` for `src/**\/*.grad`), a file's folder. Fixed by the pattern, not by what it matches,
   * so a file added later lands where its neighbours do.
   */
  readonly root: string;
}

/** An input file: as shown in messages, and its absolute path. */
export interface InputFile {
  readonly display: string;
  readonly path: string;
}

/**
 * The .grad files `patterns` name, without duplicates (symbolic links followed), sorted.
 * Each pattern is a file, a directory (every .grad file below it, outside node_modules and
 * dot folders) or a glob; relative ones are relative to `base`. Files are shown relative to
 * `cwd`, or as written when `base` is `cwd`. Throws `InputError` for a glob or directory that
 * yields nothing (unless `allowEmpty`: --watch waits for files to appear); a file that does not
 * exist is kept, for the reader to report.
 */
export async function expandInputs(
  patterns: readonly string[],
  base: string,
  cwd: string,
  { allowEmpty = false } = {},
): Promise<{ specs: InputSpec[]; files: InputFile[] }> {
  const specs: InputSpec[] = [];
  const files: InputFile[] = [];
  for (const pattern of patterns) {
    const spec = await classify(pattern, base);
    specs.push(spec);
    files.push(...(await filesOf(spec, base, cwd, allowEmpty)));
  }
  return { specs, files: await uniqueSorted(files) };
}

/** What a pattern names: an existing path is that path, even with `(` or `[` in its name. */
async function classify(pattern: string, base: string): Promise<InputSpec> {
  const full = path.resolve(base, pattern);
  const info = await stat(full).catch(() => undefined);
  if (info?.isDirectory() === true) return { pattern, kind: "directory", root: full };
  if (info === undefined && isDynamicPattern(pattern)) {
    return { pattern, kind: "glob", root: path.resolve(base, globBase(pattern)) };
  }
  return { pattern, kind: "file", root: path.dirname(full) };
}

/** The fixed folders a glob starts with: `src/models` for `src/models/**\/*.grad`. */
function globBase(pattern: string): string {
  const segments = pattern.split("/");
  const fixed: string[] = [];
  for (const segment of segments.slice(0, -1)) {
    if (isDynamicPattern(segment)) break;
    fixed.push(segment);
  }
  return fixed.join("/") || (pattern.startsWith("/") ? "/" : ".");
}

async function filesOf(
  spec: InputSpec,
  base: string,
  cwd: string,
  allowEmpty: boolean,
): Promise<InputFile[]> {
  if (spec.kind === "file") {
    const full = path.resolve(base, spec.pattern);
    return [{ display: base === cwd ? spec.pattern : displayPath(full, cwd), path: full }];
  }
  const found =
    spec.kind === "directory"
      ? await glob("**/*.grad", { cwd: spec.root, absolute: true, ignore: ["**/node_modules/**"] })
      : await glob(spec.pattern, {
          cwd: base,
          absolute: true,
          // Below a glob's wildcards, node_modules is skipped unless the glob names it.
          ignore: spec.pattern.includes("node_modules") ? [] : ["**/node_modules/**"],
        });
  const grad = found.filter((file) => file.endsWith(".grad"));
  if (grad.length === 0 && !allowEmpty) {
    throw new InputError(
      spec.kind === "directory"
        ? `${spec.pattern} holds no .grad file`
        : `no .grad file matches ${spec.pattern}`,
    );
  }
  const absolute = path.isAbsolute(spec.pattern);
  return grad.map((file) => ({ display: absolute ? file : displayPath(file, cwd), path: file }));
}

/** `file` relative to `cwd` when it lies below it, else absolute. */
export function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/**
 * One entry per file, however many patterns or symbolic links reach it (the shortest name
 * wins), in code-unit order of the names shown: the same on every machine.
 */
async function uniqueSorted(files: readonly InputFile[]): Promise<InputFile[]> {
  const byTarget = new Map<string, InputFile>();
  for (const file of files) {
    const target = await realTarget(file.path);
    const kept = byTarget.get(target);
    if (kept === undefined || shorterName(file.display, kept.display)) byTarget.set(target, file);
  }
  return [...byTarget.values()].sort((a, b) => compareNames(a.display, b.display));
}

function shorterName(a: string, b: string): boolean {
  return a.length < b.length || (a.length === b.length && a < b);
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
