// The configuration file: gradc.config.ts (or .mts, .cts, .js, .mjs, .cjs, .json), or a "gradc" key in
// package.json, in the current directory. Its folder is the base of its relative paths. Every
// key is validated here, so a mistake is one clear message naming the file and the key (the
// CLI prints it as a usage error) instead of a stack trace or an option silently ignored.

import { readFile } from "node:fs/promises";
import path from "node:path";
import { allModes, functionNames, type FunctionModes, type Mode } from "./compile.js";
import { expandInputs, InputError, isFile, realTarget } from "./files.js";

/** What `gradc compile` and `gradc check` do without arguments. */
export interface GradcConfig {
  /** The .grad files: globs (`src/**\/*.grad`), directories or files, relative to the config's folder. */
  readonly inputs?: string | readonly string[];
  /** Write `DIR/<folder>/<name>.grad.ts`, mirroring the inputs' folders, as `--out-dir` does. */
  readonly outDir?: string;
  /** Derivative modes of every function; default `["grad", "vjp"]`. */
  readonly modes?: readonly Mode[];
  /** Modes of single functions, by name, replacing `modes` for them. */
  readonly functions?: FunctionModes;
  /** Modes for some files, and for functions of those files; a later override wins. */
  readonly overrides?: readonly GradcOverride[];
  /** Module the generated code imports the runtime from. */
  readonly runtimeImport?: string;
  /** Copy the runtime pieces each output uses into it. */
  readonly inlineRuntime?: boolean;
  /** Argument validation in the generated code; default true. */
  readonly checks?: boolean;
  /** Write `OUT.ts.map` beside each output (`true`) or embed the map in it (`"inline"`). TypeScript output only. */
  readonly sourceMap?: boolean | "inline";
  /** What to write: TypeScript (`"ts"`, the default), JavaScript with declarations (`"js"`) or the IR. */
  readonly emit?: "ts" | "js" | "ir";
  /** Write only `model.d.grad.ts` beside each input: the types of a bundler plugin's `import "./model.grad"`. */
  readonly dts?: boolean;
}

export interface GradcOverride {
  /** Globs, directories or files, relative to the config's folder. */
  readonly files: string | readonly string[];
  /** Modes of every function of these files. */
  readonly modes?: readonly Mode[];
  /** Modes of single functions of these files, by name. */
  readonly functions?: FunctionModes;
}

/** Types a configuration written in TypeScript or JavaScript; returns it unchanged. */
export function defineConfig(config: GradcConfig): GradcConfig {
  return config;
}

/** A configuration that cannot be used; the message names the file and the key. */
export class ConfigError extends Error {}

export interface LoadedConfig {
  /** The file, as shown in messages (`gradc.config.ts`, `package.json`). */
  readonly name: string;
  readonly file: string;
  /** Relative paths in the configuration are relative to this folder. */
  readonly dir: string;
  readonly config: GradcConfig;
}

/** The file names looked for, in this order; two of them in one folder is an error. */
export const configFileNames = [
  "gradc.config.ts",
  "gradc.config.mts",
  "gradc.config.cts",
  "gradc.config.js",
  "gradc.config.mjs",
  "gradc.config.cjs",
  "gradc.config.json",
] as const;

/** The configuration in `cwd`, if there is one. */
export async function findConfig(cwd: string): Promise<LoadedConfig | undefined> {
  const found: string[] = [];
  for (const name of configFileNames) {
    if (await isFile(path.join(cwd, name))) found.push(name);
  }
  if (await packageJsonHasKey(path.join(cwd, "package.json"))) found.push('package.json\'s "gradc" key');
  if (found.length > 1) throw new ConfigError(`found ${found.join(" and ")}; keep one of them`);
  if (found.length === 0) return undefined;
  const name = found[0]!;
  return loadConfig(name.startsWith("package.json") ? "package.json" : name, cwd);
}

/** Loads and validates the configuration in `file` (relative to `cwd`). */
export async function loadConfig(file: string, cwd: string): Promise<LoadedConfig> {
  const full = path.resolve(cwd, file);
  const name = path.relative(cwd, full) || file;
  if (!(await isFile(full))) throw new ConfigError(`cannot read ${name}: no such file`);
  const value = await readConfigValue(full, name);
  // In package.json the settings are under "gradc": name them gradc.outDir, and so on.
  const inPackage = path.basename(full) === "package.json";
  const config = validateConfig(value, (key, message) => {
    const subject = inPackage ? ["gradc", key].filter(Boolean).join(".") : key || "the configuration";
    return new ConfigError(`${name}: ${subject} ${message}`);
  });
  return { name, file: full, dir: path.dirname(full), config };
}

async function packageJsonHasKey(file: string): Promise<boolean> {
  if (!(await isFile(file))) return false;
  try {
    const pkg: unknown = JSON.parse(await readFile(file, "utf8"));
    return typeof pkg === "object" && pkg !== null && Object.hasOwn(pkg, "gradc");
  } catch {
    return false; // Not gradc's to complain about a broken package.json it was not asked to read.
  }
}

async function readConfigValue(file: string, name: string): Promise<unknown> {
  if (file.endsWith(".json")) {
    let value: unknown;
    try {
      value = JSON.parse(await readFile(file, "utf8"));
    } catch (error) {
      throw new ConfigError(`${name} is not valid JSON: ${firstLine(error)}`);
    }
    if (path.basename(file) !== "package.json") return value;
    if (typeof value !== "object" || value === null || !Object.hasOwn(value, "gradc")) {
      throw new ConfigError(`${name} has no "gradc" key`);
    }
    return (value as { gradc: unknown }).gradc;
  }
  if (!/\.[cm]?[jt]s$/.test(file)) {
    throw new ConfigError(
      `${name}: a configuration is a .ts, .mts, .cts, .js, .mjs, .cjs or .json file, or package.json`,
    );
  }
  // jiti runs TypeScript (and either module format) without a build step. Loaded on demand:
  // most runs have no config file to transpile. No caches: the file may have just changed.
  const { createJiti } = await import("jiti");
  const jiti = createJiti(import.meta.url, { moduleCache: false, fsCache: false });
  let module: unknown;
  try {
    module = await jiti.import(file);
  } catch (error) {
    throw loadError(error, file, name);
  }
  // A CommonJS `module.exports = {...}` arrives as the default export too.
  if (
    typeof module !== "object" ||
    module === null ||
    !("default" in module) ||
    module.default === undefined
  ) {
    throw new ConfigError(`${name} has no default export; write export default defineConfig({ ... })`);
  }
  return module.default;
}

/** Why a config module did not load, at the line and column of a syntax error when there is one. */
function loadError(error: unknown, file: string, name: string): ConfigError {
  const message = error instanceof Error ? error.message : String(error);
  const place = new RegExp(`${escapeRegExp(file)}:(\\d+):(\\d+)`).exec(message);
  const reason = firstLine(error).replace(/^ParseError: /, "syntax error: ");
  return new ConfigError(
    `${place === null ? name : `${name}:${place[1]}:${place[2]}`}: cannot load it: ${reason}`,
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A thrown value's message, on one line, without the terminal colours some tools add. */
function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split(/\r?\n/)[0]!
    .trim();
}

// ---------------------------------------------------------------------------
// Validation

type Fault = (key: string, message: string) => ConfigError;

const topLevelKeys = [
  "inputs",
  "outDir",
  "modes",
  "functions",
  "overrides",
  "runtimeImport",
  "inlineRuntime",
  "checks",
  "sourceMap",
  "emit",
  "dts",
] as const satisfies readonly (keyof GradcConfig)[];

const overrideKeys = ["files", "modes", "functions"] as const satisfies readonly (keyof GradcOverride)[];

/** The configuration, if `value` is one; else throws `fault(key, message)` for the first bad key. */
export function validateConfig(value: unknown, fault: Fault): GradcConfig {
  const config = objectOf(value, "", fault, "an object of settings");
  checkKeys(config, topLevelKeys, "", fault);
  if (config.inputs !== undefined) patterns(config.inputs, "inputs", fault);
  if (config.outDir !== undefined) nonEmptyString(config.outDir, "outDir", fault);
  if (config.modes !== undefined) modeList(config.modes, "modes", fault);
  if (config.functions !== undefined) functionModes(config.functions, "functions", fault);
  if (config.overrides !== undefined) {
    if (!Array.isArray(config.overrides))
      throw fault("overrides", `must be an array of { files, modes, functions }`);
    config.overrides.forEach((entry: unknown, i) => override(entry, `overrides[${i}]`, fault));
  }
  if (config.runtimeImport !== undefined) {
    nonEmptyString(config.runtimeImport, "runtimeImport", fault);
    if (/[\r\n]/.test(config.runtimeImport as string))
      throw fault("runtimeImport", "must be a module specifier on one line");
  }
  for (const key of ["inlineRuntime", "checks", "dts"] as const) {
    if (config[key] !== undefined && typeof config[key] !== "boolean") {
      throw fault(key, `must be true or false, got ${describe(config[key])}`);
    }
  }
  if (config.sourceMap !== undefined && ![true, false, "inline"].includes(config.sourceMap as boolean)) {
    throw fault("sourceMap", `must be true, false or "inline", got ${describe(config.sourceMap)}`);
  }
  if (config.emit !== undefined && !["ts", "js", "ir"].includes(config.emit as string)) {
    throw fault("emit", `must be "ts", "js" or "ir", got ${describe(config.emit)}`);
  }
  if (config.dts === true && config.emit !== undefined && config.emit !== "ts") {
    throw fault(
      "dts",
      `writes declarations instead of modules; it cannot be combined with emit: ${describe(config.emit)}`,
    );
  }
  return config as GradcConfig;
}

function override(value: unknown, key: string, fault: Fault): void {
  const entry = objectOf(value, key, fault, "an object { files, modes, functions }");
  checkKeys(entry, overrideKeys, `${key}.`, fault);
  if (entry.files === undefined)
    throw fault(`${key}.files`, "is missing: name the files the override applies to");
  patterns(entry.files, `${key}.files`, fault);
  if (entry.modes !== undefined) modeList(entry.modes, `${key}.modes`, fault);
  if (entry.functions !== undefined) functionModes(entry.functions, `${key}.functions`, fault);
  if (entry.modes === undefined && entry.functions === undefined) {
    throw fault(key, "changes nothing: give it modes or functions");
  }
}

function objectOf(value: unknown, key: string, fault: Fault, what: string): Record<string, unknown> {
  if (typeof value === "object" && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  throw fault(key, `must be ${what}, got ${describe(value)}`);
}

function checkKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  prefix: string,
  fault: Fault,
): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    throw fault(
      `${prefix}${key}`,
      `is not a gradc setting${suggestion === undefined ? "" : ` (did you mean ${suggestion}?)`}; known: ${known.join(", ")}`,
    );
  }
}

function patterns(value: unknown, key: string, fault: Fault): void {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    throw fault(
      key,
      `must be a glob, directory or file, or a non-empty array of them, got ${describe(value)}`,
    );
  }
  list.forEach((item: unknown, i) => nonEmptyString(item, `${key}[${i}]`, fault));
}

function modeList(value: unknown, key: string, fault: Fault): void {
  const valid = `valid modes: ${allModes.join(", ")}`;
  if (!Array.isArray(value)) throw fault(key, `must be an array of modes (${valid}), got ${describe(value)}`);
  if (value.length === 0) throw fault(key, `needs at least one mode (${valid})`);
  for (const mode of value) {
    if (!allModes.includes(mode as Mode))
      throw fault(key, `has an unknown mode ${describe(mode)} (${valid})`);
  }
}

function functionModes(value: unknown, key: string, fault: Fault): void {
  const entries = objectOf(value, key, fault, "an object mapping function names to arrays of modes");
  for (const [name, modes] of Object.entries(entries)) modeList(modes, `${key}.${name}`, fault);
}

function nonEmptyString(value: unknown, key: string, fault: Fault): void {
  if (typeof value !== "string" || value.trim() === "")
    throw fault(key, `must be a non-empty string, got ${describe(value)}`);
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : String(value);
}

/** A known key that differs from `key` by case or by a letter or two: the likely intent. */
function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === lower ? 0 : editDistance(lower, name.toLowerCase());
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}

// ---------------------------------------------------------------------------
// Modes of each file

/** The modes one input is compiled with. */
export interface FileModes {
  readonly modes: readonly Mode[];
  readonly functionModes: FunctionModes;
}

/** The overrides with the files each applies to (real paths), in order. */
export interface ResolvedOverride {
  readonly key: string;
  readonly override: GradcOverride;
  readonly files: ReadonlySet<string>;
}

/** Finds the files of each override; a pattern that matches nothing is an error, as for inputs. */
export async function resolveOverrides(
  loaded: LoadedConfig,
  { allowEmpty = false } = {},
): Promise<ResolvedOverride[]> {
  const resolved: ResolvedOverride[] = [];
  for (const [i, override] of (loaded.config.overrides ?? []).entries()) {
    const key = `overrides[${i}].files`;
    const files = await expandConfigPatterns(loaded, override.files, key, { allowEmpty });
    const real = new Set<string>();
    for (const file of files) real.add(await realTarget(file));
    resolved.push({ key: `overrides[${i}]`, override, files: real });
  }
  return resolved;
}

/** The config's `inputs` (or an override's `files`) as absolute paths; a config error if one names nothing. */
export async function expandConfigPatterns(
  loaded: LoadedConfig,
  value: string | readonly string[],
  key: string,
  { allowEmpty = false } = {},
): Promise<string[]> {
  try {
    const patterns = typeof value === "string" ? [value] : value;
    const { files } = await expandInputs(patterns, loaded.dir, loaded.dir, { allowEmpty });
    return files.map((file) => file.path);
  } catch (error) {
    if (error instanceof InputError) throw new ConfigError(`${loaded.name}: ${key}: ${error.message}`);
    throw error;
  }
}

/**
 * The modes of the input whose real path is `file`: the config's `modes` and `functions`, then
 * each override that applies to it in order, a later one replacing an earlier one's `modes`
 * and its entries for the same functions.
 */
export function modesForFile(
  file: string,
  config: GradcConfig,
  overrides: readonly ResolvedOverride[],
  fallback: readonly Mode[],
): FileModes {
  let modes = config.modes ?? fallback;
  let functionModes: FunctionModes = { ...config.functions };
  for (const { override, files } of overrides) {
    if (!files.has(file)) continue;
    if (override.modes !== undefined) modes = override.modes;
    functionModes = { ...functionModes, ...override.functions };
  }
  return { modes, functionModes };
}

/**
 * The entries of `functionModes` for the functions `source` defines: a configuration's entry
 * may name another file's function, which compile would call a mistake in this one.
 */
export function definedFunctionModes(functionModes: FunctionModes, source: string): FunctionModes {
  const entries = Object.entries(functionModes);
  if (entries.length === 0) return functionModes;
  const defined = new Set(functionNames(source) ?? []);
  return Object.fromEntries(entries.filter(([name]) => defined.has(name)));
}

/** The functions `files` define; undefined if one does not parse (what it defines is unknown). */
async function definedIn(
  files: readonly string[],
  namesOf: (file: string) => Promise<readonly string[] | undefined>,
): Promise<Set<string> | undefined> {
  const defined = new Set<string>();
  for (const file of files) {
    const found = await namesOf(file);
    if (found === undefined) return undefined;
    for (const name of found) defined.add(name);
  }
  return defined;
}

/**
 * Every name under `functions` must be a function of a file it applies to: a misspelt name
 * would silently change nothing. `files` are the files the config's own `functions` apply to;
 * `namesOf` reads a file's function names (undefined when it does not parse, and then the
 * check trusts the name).
 */
export async function checkFunctionNames(
  loaded: LoadedConfig,
  files: readonly string[],
  overrides: readonly ResolvedOverride[],
  namesOf: (file: string) => Promise<readonly string[] | undefined>,
): Promise<void> {
  const entries = [
    { key: "functions", functions: loaded.config.functions, files },
    ...overrides.map((o) => ({
      key: `${o.key}.functions`,
      functions: o.override.functions,
      files: [...o.files],
    })),
  ];
  for (const { key, functions, files } of entries) {
    const names = Object.keys(functions ?? {});
    if (names.length === 0) continue;
    const defined = await definedIn(files, namesOf);
    const missing = defined === undefined ? undefined : names.find((name) => !defined.has(name));
    if (missing === undefined) continue;
    const where =
      files.length === 1
        ? `the file it applies to defines no function '${missing}'`
        : `none of the ${files.length} files it applies to defines a function '${missing}'`;
    throw new ConfigError(`${loaded.name}: ${key}.${missing} names no function: ${where}`);
  }
}
