// Where an output really lands, and writing it there safely. Paths are
// compared after following symbolic links, so `-o here/model.grad` with
// `here -> .` is seen to be the input itself; a symlinked output keeps its link
// (the file it points at is replaced); devices and pipes (`/dev/stdout`) are
// written in place; directories are created one level at a time, so a path
// under a file system that refuses them (`/proc`) fails instead of looping.

import { randomBytes } from "node:crypto";
import { lstat, mkdir, readlink, realpath, rename, stat, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

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
