// The `gradc` command line. `main` is the whole CLI as a
// function of (argv, io): it never calls process.exit and never lets a stack
// trace reach the user for bad input. Exit codes: 0 ok, 1 diagnostics with
// errors (or an output that could not be written, or `--check` found stale
// outputs), 2 usage errors, 70 internal errors (a bug in gradc).

import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import { allModes, check, compile, defaultModes, type Mode } from "./compile.js";
import { codes, formatDiagnostic, styled, type Diagnostic } from "./diagnostics.js";
import { explain } from "./explain.js";
import type { ExplainFormat } from "./explain-print.js";
import { realTarget, writeOutput } from "./files.js";
import {
  pathToUrlPath,
  renameSourceMap,
  withInlineSourceMap,
  withSourceMappingUrl,
  type SourceMap,
} from "./source-map.js";

export interface CliIo {
  /** Receives complete chunks of text, each ending with a newline. */
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  /** Directory relative paths are resolved against. Default `process.cwd()`. */
  readonly cwd?: string;
  /** Colour diagnostics (a terminal); default off. */
  readonly color?: boolean;
}

export const exitCodes = { ok: 0, errors: 1, usage: 2, internal: 70 } as const;

/** A usage error: printed as `gradc: MESSAGE`, exit 2. */
class UsageError extends Error {}

const defaultIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  // Colour on a terminal, unless NO_COLOR is set (no-color.org) or the terminal is dumb.
  color: process.stderr.isTTY === true && !process.env.NO_COLOR && process.env.TERM !== "dumb",
};

/** Runs the CLI; resolves to the exit code. With `compile --watch` it resolves only once the watcher stops. */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let exitCode: number = exitCodes.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version "exit" with 0; everything else commander reports is a usage error.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    if (error instanceof UsageError) {
      safeWrite(io.stderr, `gradc: ${error.message}\n`);
      return exitCodes.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    safeWrite(io.stderr, `gradc: internal error: ${message} (please report this)\n`);
    return exitCodes.internal;
  }
}

function safeWrite(write: (s: string) => void, s: string): void {
  try {
    write(s);
  } catch {
    // Nowhere left to report to.
  }
}

// ---------------------------------------------------------------------------
// Command definitions

interface CompileCommandOptions {
  output?: string;
  outDir?: string;
  modes?: string;
  runtimeImport?: string;
  inlineRuntime?: boolean;
  checks: boolean;
  watch?: boolean;
  check?: boolean;
  emitIr?: boolean;
  sourceMap?: boolean;
  inlineSourceMap?: boolean;
}

interface CheckCommandOptions {
  modes?: string;
}

const compileExamples = `
Examples:
  $ gradc compile model.grad                       # writes model.grad.ts next to it
  $ gradc compile src/*.grad --out-dir generated   # writes generated/<name>.grad.ts
  $ gradc compile model.grad -o src/model.ts --modes grad,vjp
  $ gradc compile model.grad --runtime-import ./runtime.js --no-checks
  $ gradc compile model.grad --source-map          # also writes model.grad.ts.map
  $ gradc compile src/*.grad --check               # CI: fail if an output is stale
  $ gradc compile src/*.grad --watch               # recompile on every change
`;

const checkExamples = `
Examples:
  $ gradc check model.grad
  $ gradc check src/*.grad
`;

const explainExamples = `
Examples:
  $ gradc explain model.grad --fn loss --wrt w
  $ gradc explain model.grad --format text
  $ gradc explain model.grad --format json > derivation.json

Markdown (the default) writes the math in LaTeX: GitHub and KaTeX render it.
`;

const programExamples = `
Examples:
  $ gradc compile model.grad          # writes model.grad.ts
  $ gradc check model.grad            # diagnostics only
  $ gradc help compile                # options of a command

Exit codes: 0 ok, 1 errors in the sources (or stale outputs with --check), 2 usage error.
`;

function buildProgram(io: CliIo, setExitCode: (code: number) => void): Command {
  const cwd = io.cwd ?? process.cwd();
  const program = new Command("gradc");
  // Settings made before .command() are inherited by the subcommands.
  program
    .description("Compile .grad math files into TypeScript that computes values and gradients.")
    .version(readVersion(), "-V, --version", "print the gradc version")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout(s),
      writeErr: (s) => io.stderr(s),
      // Commander's messages look like "error: unknown option '--x'"; make them one gradc line.
      outputError: (s, write) => write(`gradc: ${s.replace(/^error: /, "").trimEnd()}\n`),
    })
    .showSuggestionAfterError(true)
    .addHelpText("after", programExamples);

  program
    .command("compile")
    .description("compile .grad files to TypeScript")
    .argument("<files...>", ".grad files to compile")
    .addOption(
      new Option("-o, --output <file>", "output file (only with a single input)").conflicts("outDir"),
    )
    .option("--out-dir <dir>", "write DIR/<name>.grad.ts for each input (created if needed)")
    .option(
      "--modes <list>",
      `comma-separated derivative modes (${allModes.join(", ")})`,
      defaultModes.join(","),
    )
    .option(
      "--runtime-import <specifier>",
      "module the generated code imports the runtime from",
      "gradc-runtime",
    )
    .option("--inline-runtime", "copy the runtime pieces the output uses into it (no import)")
    .option("--no-checks", "do not validate argument shapes in the generated code")
    .option("--emit-ir", "write the compiler's IR (model.grad.ir) instead of TypeScript")
    .addOption(
      new Option(
        "--source-map",
        "also write OUT.ts.map, mapping the output to the .grad lines (for debuggers and stack traces)",
      ).conflicts(["inlineSourceMap", "emitIr"]),
    )
    .addOption(
      new Option(
        "--inline-source-map",
        "embed the source map in the output (a data: URL; no .map file)",
      ).conflicts("emitIr"),
    )
    .addOption(new Option("--watch", "recompile each file when it changes").conflicts("check"))
    .option("--check", "write nothing; exit 1 if an output is missing or out of date")
    .addHelpText("after", compileExamples)
    .action(async (files: string[], options: CompileCommandOptions) => {
      setExitCode(await runCompileCommand(files, options, io, cwd));
    });

  program
    .command("check")
    .description("report diagnostics only; writes nothing")
    .argument("<files...>", ".grad files to check")
    .option(
      "--modes <list>",
      `comma-separated derivative modes (${allModes.join(", ")})`,
      defaultModes.join(","),
    )
    .addHelpText("after", checkExamples)
    .action(async (files: string[], options: CheckCommandOptions) => {
      setExitCode(await runCheckCommand(files, options, io, cwd));
    });

  program
    .command("explain")
    .description("show the derivation of a gradient, step by step, in matrix notation")
    .argument("<file>", ".grad file")
    .option("--fn <name>", "function to explain (default: every function)")
    .option("--wrt <param>", "parameter to differentiate with respect to (default: the function's wrt)")
    .addOption(new Option("--format <format>", "output format").choices(["md", "text", "json"]).default("md"))
    .addHelpText("after", explainExamples)
    .action(async (file: string, options: ExplainCommandOptions) => {
      setExitCode(await runExplainCommand(file, options, io, cwd));
    });

  return program;
}

/** The version in gradc's package.json (found from the source or the built file). */
function readVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    const candidate = path.join(dir, "package.json");
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, "utf8")) as { name?: unknown; version?: unknown };
      if (pkg.name === "gradc" && typeof pkg.version === "string") return pkg.version;
    }
    dir = path.dirname(dir);
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// Option validation

/** Parses `--modes`: comma-separated, validated against `allModes`, duplicates dropped. */
export function parseModes(list: string): Mode[] {
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const valid = `valid modes: ${allModes.join(", ")}`;
  if (names.length === 0) throw new UsageError(`--modes needs at least one mode (${valid})`);
  const modes: Mode[] = [];
  for (const name of names) {
    const mode = allModes.find((m) => m === name);
    if (mode === undefined) throw new UsageError(`unknown mode '${name}' in --modes (${valid})`);
    if (!modes.includes(mode)) modes.push(mode);
  }
  return modes;
}

/** One input file and where its output goes. Paths are kept as the user wrote them, for messages. */
export interface Job {
  /** The input as given (relative to cwd), used in diagnostics. */
  readonly input: string;
  readonly inputPath: string;
  /** The output for messages: relative if the user's paths were. */
  readonly output: string;
  readonly outputPath: string;
}

export interface OutputOptions {
  /** `-o`: the one output file. */
  readonly output?: string | undefined;
  /** `--out-dir`. */
  readonly outDir?: string | undefined;
  /** `--check`: compare with the outputs instead of writing them. */
  readonly check?: boolean;
  /** The default output's extension: `.ts`, or `.ir` with `--emit-ir`. */
  readonly extension?: ".ts" | ".ir";
}

/** Pairs inputs with outputs; rejects ambiguous or dangerous combinations. */
export function planJobs(files: readonly string[], options: OutputOptions, cwd: string): Job[] {
  if (files.length === 0) throw new UsageError("no input files");
  if (options.output !== undefined && options.outDir !== undefined) {
    throw new UsageError("use either -o or --out-dir, not both");
  }
  const unique: string[] = [];
  const seen = new Set<string>();
  for (const file of files) {
    const resolved = path.resolve(cwd, file);
    if (!seen.has(resolved)) {
      seen.add(resolved);
      unique.push(file);
    }
  }
  if (options.output !== undefined && unique.length !== 1) {
    throw new UsageError(`-o takes a single input file, got ${unique.length}; use --out-dir for several`);
  }
  if (options.output === standardOutput && options.check === true) {
    throw new UsageError("--check compares with an output file; -o - writes to standard output");
  }
  // TypeScript in a .js file would not run: refuse the name rather than write it.
  if (options.extension !== ".ir" && options.output !== undefined && /\.[cm]?jsx?$/i.test(options.output)) {
    throw new UsageError(
      `-o ${options.output}: gradc writes TypeScript; name the output .ts (e.g. ${options.output.replace(/\.[cm]?jsx?$/i, ".ts")})`,
    );
  }
  const extension = options.extension ?? ".ts";
  // --out-dir mirrors the inputs' folders below the one they share (src/a/m.grad and
  // src/b/m.grad go to DIR/a/m.grad.ts and DIR/b/m.grad.ts), as tsc's outDir does.
  const base = commonFolder(unique.map((input) => path.dirname(path.resolve(cwd, input))));
  const jobs: Job[] = unique.map((input) => {
    let output: string;
    if (options.output !== undefined) output = options.output;
    else if (options.outDir !== undefined) {
      const folder = path.relative(base, path.dirname(path.resolve(cwd, input)));
      output = path.join(options.outDir, folder, `${path.basename(input)}${extension}`);
    } else output = `${input}${extension}`;
    return { input, inputPath: path.resolve(cwd, input), output, outputPath: path.resolve(cwd, output) };
  });
  const byOutput = new Map<string, Job>();
  for (const job of jobs) {
    if (job.output === standardOutput) continue;
    if (job.outputPath === job.inputPath) {
      throw new UsageError(`output ${job.output} would overwrite its input`);
    }
    const other = byOutput.get(job.outputPath);
    if (other !== undefined) {
      throw new UsageError(`${other.input} and ${job.input} would both be written to ${job.output}`);
    }
    byOutput.set(job.outputPath, job);
  }
  const inputs = new Set(jobs.map((j) => j.inputPath));
  for (const job of jobs) {
    if (inputs.has(job.outputPath)) throw new UsageError(`output ${job.output} would overwrite an input`);
  }
  return jobs;
}

/** The deepest folder that holds all of `folders` (absolute paths). */
function commonFolder(folders: readonly string[]): string {
  const split = folders.map((f) => f.split(path.sep));
  const first = split[0] ?? [];
  let depth = 0;
  while (depth < first.length && split.every((parts) => parts[depth] === first[depth])) depth++;
  return first.slice(0, depth).join(path.sep) || path.sep;
}

/** `-o -`: the output goes to standard output. */
const standardOutput = "-";

/**
 * `planJobs`'s checks again, on the paths the file system resolves (symbolic
 * links followed), where two different spellings can name one file.
 */
async function checkRealPaths(jobs: readonly Job[]): Promise<void> {
  const inputs = new Map<string, Job>();
  for (const job of jobs) inputs.set(await realTarget(job.inputPath), job);
  const outputs = new Map<string, Job>();
  for (const job of jobs) {
    if (job.output === standardOutput) continue;
    const real = await realTarget(job.outputPath);
    const input = inputs.get(real);
    if (input !== undefined) {
      throw new UsageError(
        input === job
          ? `output ${job.output} is its input ${job.input} (through a symbolic link)`
          : `output ${job.output} would overwrite the input ${input.input} (through a symbolic link)`,
      );
    }
    const other = outputs.get(real);
    if (other !== undefined) {
      throw new UsageError(`${other.input} and ${job.input} would both be written to ${job.output}`);
    }
    outputs.set(real, job);
  }
}

// ---------------------------------------------------------------------------
// Commands

export interface BuildSettings {
  readonly modes: readonly Mode[];
  readonly runtimeImport: string;
  readonly checks: boolean;
  readonly inlineRuntime: boolean;
  readonly emit?: "typescript" | "ir";
  /** A source map: written beside each output as OUT.ts.map, or embedded in it. */
  readonly sourceMap?: "file" | "inline";
}

async function runCompileCommand(
  files: readonly string[],
  options: CompileCommandOptions,
  io: CliIo,
  cwd: string,
): Promise<number> {
  const settings: BuildSettings = {
    modes: parseModes(options.modes ?? defaultModes.join(",")),
    runtimeImport: options.runtimeImport ?? "gradc-runtime",
    checks: options.checks,
    inlineRuntime: options.inlineRuntime === true,
    emit: options.emitIr === true ? "ir" : "typescript",
    ...(options.sourceMap === true
      ? { sourceMap: "file" }
      : options.inlineSourceMap === true
        ? { sourceMap: "inline" }
        : {}),
  };
  if (settings.runtimeImport.trim() === "") throw new UsageError("--runtime-import needs a module specifier");
  if (settings.sourceMap === "file" && options.output === standardOutput) {
    throw new UsageError(
      "--source-map writes OUT.ts.map beside the output; with -o - use --inline-source-map",
    );
  }
  const jobs = planJobs(
    files,
    {
      output: options.output,
      outDir: options.outDir,
      check: options.check === true,
      extension: options.emitIr === true ? ".ir" : ".ts",
    },
    cwd,
  );
  await checkRealPaths(jobs);
  if (settings.sourceMap === "file") checkMapPaths(jobs);
  const sources = await readSources(jobs, io);
  if (sources === undefined) return exitCodes.usage;

  if (options.watch === true) {
    const watcher = await startWatch(jobs, settings, io, sources);
    await watcher.closed;
    return exitCodes.ok;
  }

  let exitCode: number = exitCodes.ok;
  const tally = new Tally();
  for (const [i, job] of jobs.entries()) {
    const source = sources[i] ?? "";
    const result =
      options.check === true
        ? await checkOutput(job, source, settings, io, tally)
        : await build(job, source, settings, io, tally);
    exitCode = Math.max(exitCode, result);
  }
  const summary = tally.summary();
  if (summary !== undefined) io.stderr(styled(summary.trimEnd(), ["bold"], io.color === true) + "\n");
  return exitCode;
}

async function runCheckCommand(
  files: readonly string[],
  options: CheckCommandOptions,
  io: CliIo,
  cwd: string,
): Promise<number> {
  const modes = parseModes(options.modes ?? defaultModes.join(","));
  const jobs = planJobs(files, {}, cwd);
  const sources = await readSources(jobs, io);
  if (sources === undefined) return exitCodes.usage;
  let exitCode: number = exitCodes.ok;
  const tally = new Tally();
  for (const [i, job] of jobs.entries()) {
    const source = sources[i] ?? "";
    const { diagnostics } = check(source, { filename: job.input, modes });
    report(diagnostics, source, io, tally);
    if (diagnostics.some((d) => d.severity === "error")) exitCode = exitCodes.errors;
  }
  const summary = tally.summary();
  if (summary !== undefined) io.stderr(styled(summary.trimEnd(), ["bold"], io.color === true) + "\n");
  return exitCode;
}

interface ExplainCommandOptions {
  readonly fn?: string;
  readonly wrt?: string;
  readonly format: ExplainFormat;
}

async function runExplainCommand(
  file: string,
  options: ExplainCommandOptions,
  io: CliIo,
  cwd: string,
): Promise<number> {
  const jobs = planJobs([file], {}, cwd);
  const sources = await readSources(jobs, io);
  if (sources === undefined) return exitCodes.usage;
  const source = sources[0]!;
  const { text, diagnostics } = await explain(source, {
    filename: jobs[0]!.input,
    format: options.format,
    ...(options.fn === undefined ? {} : { fn: options.fn }),
    ...(options.wrt === undefined ? {} : { wrt: options.wrt }),
  });
  // --fn or --wrt naming nothing is a usage error; errors in the source are diagnostics.
  const usage = diagnostics.find((d) => d.code === codes.badOption);
  if (usage !== undefined) throw new UsageError(usage.message);
  report(diagnostics, source, io);
  if (text === undefined) return exitCodes.errors;
  io.stdout(text);
  return exitCodes.ok;
}

/** Reads every input before doing anything; undefined (after reporting) if any cannot be read. */
async function readSources(jobs: readonly Job[], io: CliIo): Promise<string[] | undefined> {
  const sources: string[] = [];
  let ok = true;
  for (const job of jobs) {
    const read = await readInput(job);
    if (typeof read === "string") sources.push(read);
    else {
      io.stderr(`gradc: cannot read ${job.input}: ${read.reason}\n`);
      ok = false;
    }
  }
  return ok ? sources : undefined;
}

async function readInput(job: Job): Promise<string | { reason: string }> {
  try {
    return await readFile(job.inputPath, "utf8");
  } catch (error) {
    return { reason: describeFsError(error) };
  }
}

/** A short reason for a file-system error, without Node's absolute paths. */
function describeFsError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "ENOTDIR":
      return "a component of the path is not a directory";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on device";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Errors and warnings reported so far, by file: the closing summary line. */
class Tally {
  private errors = 0;
  private warnings = 0;
  private readonly files = new Set<string>();

  add(diagnostics: readonly Diagnostic[]): void {
    for (const d of diagnostics) {
      if (d.severity === "error") this.errors++;
      else this.warnings++;
      this.files.add(d.file);
    }
  }

  /** `Found 2 errors and 1 warning in 1 file.`, as tsc and eslint close; nothing when clean. */
  summary(): string | undefined {
    if (this.errors + this.warnings === 0) return undefined;
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
    const parts = [
      ...(this.errors > 0 ? [count(this.errors, "error")] : []),
      ...(this.warnings > 0 ? [count(this.warnings, "warning")] : []),
    ];
    return `Found ${parts.join(" and ")} in ${count(this.files.size, "file")}.\n`;
  }
}

function report(diagnostics: readonly Diagnostic[], source: string, io: CliIo, tally?: Tally): void {
  tally?.add(diagnostics);
  for (const d of diagnostics) {
    // Option diagnostics (GC03xx) are about the command line, not a place in the file: no caret.
    const text = d.code === codes.badOption ? undefined : source;
    io.stderr(`${formatDiagnostic(d, text, { color: io.color === true })}\n`);
  }
}

async function compileJob(job: Job, source: string, settings: BuildSettings) {
  const { sourceMap, ...rest } = settings;
  const result = await compile(source, {
    filename: job.input,
    ...rest,
    ...(sourceMap === undefined ? {} : { sourceMap: true }),
  });
  return { diagnostics: result.diagnostics, files: outputFiles(job, result, sourceMap) };
}

/** A file an input compiles to: the module, or its source map. */
interface OutputFile {
  /** For messages: as the user wrote the output. */
  readonly display: string;
  readonly path: string;
  readonly text: string;
}

/**
 * What a compiled input writes, in the order to write it: the module, after its map if it has one
 * (so the module never points at a stale map). Undefined when there are errors.
 */
function outputFiles(
  job: Job,
  result: { readonly code: string | undefined; readonly map?: SourceMap },
  sourceMap: BuildSettings["sourceMap"],
): OutputFile[] | undefined {
  const { code, map } = result;
  if (code === undefined) return undefined;
  const module = (text: string): OutputFile => ({ display: job.output, path: job.outputPath, text });
  if (sourceMap === undefined || map === undefined) return [module(code)];
  if (job.output === standardOutput) {
    // Where standard output ends up is unknown: the source is named relative to the current directory.
    return [
      module(withInlineSourceMap(code, renameSourceMap(map, pathToUrlPath(job.input, path.sep), undefined))),
    ];
  }
  const outputDir = path.dirname(job.outputPath);
  const sourceUrl = pathToUrlPath(path.relative(outputDir, job.inputPath), path.sep);
  const named = renameSourceMap(map, sourceUrl, path.basename(job.outputPath));
  if (sourceMap === "inline") return [module(withInlineSourceMap(code, named))];
  const mapFile = mapFileOf(job);
  return [
    { display: mapFile.display, path: mapFile.path, text: `${JSON.stringify(named)}\n` },
    module(withSourceMappingUrl(code, pathToUrlPath(path.basename(mapFile.path), path.sep))),
  ];
}

/** `--source-map`: the map is written beside the output, named after it: `model.grad.ts.map`. */
function mapFileOf(job: Job): { display: string; path: string } {
  return { display: `${job.output}.map`, path: `${job.outputPath}.map` };
}

/** A map must not overwrite an input (`-o model` beside an input `model.map`). */
function checkMapPaths(jobs: readonly Job[]): void {
  const inputs = new Map(jobs.map((job) => [job.inputPath, job]));
  for (const job of jobs) {
    const input = inputs.get(mapFileOf(job).path);
    if (input !== undefined)
      throw new UsageError(`source map ${mapFileOf(job).display} would overwrite the input ${input.input}`);
  }
}

/** Compiles one file and writes its outputs atomically; leaves the old outputs alone on errors. */
async function build(
  job: Job,
  source: string,
  settings: BuildSettings,
  io: CliIo,
  tally?: Tally,
): Promise<number> {
  const { diagnostics, files } = await compileJob(job, source, settings);
  report(diagnostics, source, io, tally);
  if (files === undefined) return exitCodes.errors;
  if (job.output === standardOutput) {
    for (const file of files) io.stdout(file.text);
    return exitCodes.ok;
  }
  for (const file of files) {
    try {
      await writeOutput(file.path, file.text);
    } catch (error) {
      io.stderr(`gradc: cannot write ${file.display}: ${describeFsError(error)}\n`);
      return exitCodes.errors;
    }
    io.stdout(`wrote ${file.display}\n`);
  }
  return exitCodes.ok;
}

/** `--check`: compiles and compares with the existing outputs (the map too); writes nothing. */
async function checkOutput(
  job: Job,
  source: string,
  settings: BuildSettings,
  io: CliIo,
  tally: Tally,
): Promise<number> {
  const { diagnostics, files } = await compileJob(job, source, settings);
  report(diagnostics, source, io, tally);
  if (files === undefined) return exitCodes.errors;
  let exitCode: number = exitCodes.ok;
  for (const file of files) {
    let existing: string;
    try {
      existing = await readFile(file.path, "utf8");
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      io.stderr(
        code === "ENOENT"
          ? `${file.display} is missing\n`
          : `gradc: cannot read ${file.display}: ${describeFsError(error)}\n`,
      );
      exitCode = exitCodes.errors;
      continue;
    }
    if (existing !== file.text) {
      io.stderr(`${file.display} is out of date\n`);
      exitCode = exitCodes.errors;
    }
  }
  return exitCode;
}

// ---------------------------------------------------------------------------
// Watch mode

export interface Watcher {
  /** Stops watching; resolves once any compile in progress has finished. */
  close(): Promise<void>;
  /** Resolves when the watcher has been closed. */
  readonly closed: Promise<void>;
  /** Resolves once no compile is running or queued. */
  idle(): Promise<void>;
}

export interface WatchOptions extends OutputOptions {
  readonly modes?: readonly Mode[];
  readonly runtimeImport?: string;
  readonly checks?: boolean;
  readonly inlineRuntime?: boolean;
  /** `true`: write OUT.ts.map beside each output; `"inline"`: embed the map in it. */
  readonly sourceMap?: boolean | "inline";
}

/**
 * Compiles `files` once, then recompiles each one whenever it changes, until
 * `close()` is called. Results go to `io` as in `gradc compile`. Throws a
 * usage error (message only) for an unusable combination of files and options.
 */
export async function watch(
  files: readonly string[],
  options: WatchOptions = {},
  io: CliIo = defaultIo,
): Promise<Watcher> {
  const cwd = io.cwd ?? process.cwd();
  const jobs = planJobs(files, options, cwd);
  await checkRealPaths(jobs);
  if (options.sourceMap === true) checkMapPaths(jobs);
  return startWatch(
    jobs,
    {
      modes: options.modes ?? defaultModes,
      runtimeImport: options.runtimeImport ?? "gradc-runtime",
      checks: options.checks ?? true,
      inlineRuntime: options.inlineRuntime ?? false,
      ...(options.sourceMap === true
        ? { sourceMap: "file" }
        : options.sourceMap === "inline"
          ? { sourceMap: "inline" }
          : {}),
    },
    io,
    undefined,
  );
}

async function startWatch(
  jobs: readonly Job[],
  settings: BuildSettings,
  io: CliIo,
  initialSources: readonly string[] | undefined,
): Promise<Watcher> {
  const byPath = new Map(jobs.map((job) => [job.inputPath, job]));
  // One run per file at a time; a change during a run schedules exactly one more.
  const running = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  let closing = false;

  const rebuild = async (job: Job, source?: string): Promise<void> => {
    let text = source;
    if (text === undefined) {
      const read = await readInput(job);
      if (typeof read !== "string") {
        io.stderr(`gradc: cannot read ${job.input}: ${read.reason}\n`);
        return;
      }
      text = read;
    }
    await build(job, text, settings, io);
  };

  const schedule = (job: Job, source?: string): void => {
    if (closing) return;
    if (running.has(job.inputPath)) {
      dirty.add(job.inputPath);
      return;
    }
    const run = (async () => {
      try {
        await rebuild(job, source);
        while (dirty.delete(job.inputPath) && !closing) await rebuild(job);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        safeWrite(io.stderr, `gradc: internal error: ${message} (please report this)\n`);
      } finally {
        running.delete(job.inputPath);
      }
    })();
    running.set(job.inputPath, run);
  };

  const idle = async (): Promise<void> => {
    while (running.size > 0) await Promise.all(running.values());
  };

  const { watch: chokidarWatch } = await import("chokidar");
  const fsWatcher = chokidarWatch(
    jobs.map((job) => job.inputPath),
    {
      ignoreInitial: true,
      persistent: true,
      // Compile a file once the editor has finished writing it.
      awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 },
    },
  );
  const onEvent = (file: string): void => {
    const job = byPath.get(path.resolve(file));
    if (job !== undefined) schedule(job);
  };
  fsWatcher.on("add", onEvent);
  fsWatcher.on("change", onEvent);
  fsWatcher.on("unlink", (file: string) => {
    const job = byPath.get(path.resolve(file));
    if (job !== undefined) io.stderr(`gradc: ${job.input} was removed; waiting for it to come back\n`);
  });
  fsWatcher.on("error", (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    safeWrite(io.stderr, `gradc: watch error: ${message}\n`);
  });
  await new Promise<void>((resolve) => fsWatcher.once("ready", () => resolve()));

  jobs.forEach((job, i) => schedule(job, initialSources?.[i]));
  await idle();
  io.stdout(`watching ${jobs.length} ${jobs.length === 1 ? "file" : "files"} for changes (Ctrl-C to stop)\n`);

  let resolveClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });
  let closePromise: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closePromise ??= (async () => {
      closing = true;
      await fsWatcher.close();
      await idle();
      resolveClosed();
    })();
    return closePromise;
  };
  return { close, closed, idle };
}
