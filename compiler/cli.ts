// The `gradc` command line. `main` is the whole CLI as a
// function of (argv, io): it never calls process.exit and never lets a stack
// trace reach the user for bad input. Exit codes: 0 ok, 1 diagnostics with
// errors (or an output that could not be written, or `--check` found stale
// outputs), 2 usage errors (a bad configuration file too), 70 internal errors
// (a bug in gradc).

import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import {
  allModes,
  check,
  compile,
  defaultModes,
  defaultRuntimeImport,
  functionNames,
  type FunctionModes,
  type Mode,
} from "./compile.js";
import {
  checkFunctionNames,
  ConfigError,
  definedFunctionModes,
  expandConfigPatterns,
  findConfig,
  loadConfig,
  modesForFile,
  resolveOverrides,
  type GradcConfig,
  type LoadedConfig,
} from "./config.js";
import { codes, formatDiagnostic, styled, type Diagnostic } from "./diagnostics.js";
import { declarationsOf, formatEmitted, javaScriptSourceMap, toJavaScript } from "./emit-js.js";
import { explain } from "./explain.js";
import type { ExplainFormat } from "./explain-print.js";
import {
  displayPath,
  expandInputs,
  InputError,
  isFile,
  realTarget,
  writeOutput,
  type InputFile,
} from "./files.js";
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
  /**
   * On a terminal: shows `line` as a status line, drawn in place of the previous one (`""`
   * clears it). Without it (output piped), no progress is shown.
   */
  readonly status?: (line: string) => void;
  /** Stops `compile --watch` when aborted. Default: the first Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal?: AbortSignal;
}

export const exitCodes = { ok: 0, errors: 1, usage: 2, internal: 70 } as const;

/** A usage error: printed as `gradc: MESSAGE`, exit 2. */
class UsageError extends Error {}

const stderrIsTerminal = process.stderr.isTTY === true && process.env.TERM !== "dumb";

const defaultIo: CliIo = {
  stdout: (s) => void process.stdout.write(s),
  stderr: (s) => void process.stderr.write(s),
  // Colour on a terminal, unless NO_COLOR is set (no-color.org) or the terminal is dumb.
  color: stderrIsTerminal && !process.env.NO_COLOR,
  ...(stderrIsTerminal ? { status: drawStatusLine } : {}),
};

/** Rewrites the terminal's last line: back to its start, clear it, print at most one line's width. */
function drawStatusLine(line: string): void {
  // A terminal of unknown size (0 columns) is taken to be 80 wide.
  const width = Math.max(10, (process.stderr.columns || 80) - 1);
  const fitted = [...line].length > width ? `…${[...line].slice(-(width - 1)).join("")}` : line;
  process.stderr.write(`\r\u001b[K${fitted}`);
}

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
    if (error instanceof UsageError || error instanceof ConfigError) {
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
  config?: string;
  output?: string;
  outDir?: string;
  modes?: string;
  runtimeImport?: string;
  inlineRuntime?: boolean;
  checks?: boolean;
  watch?: boolean;
  check?: boolean;
  emit?: "ts" | "js" | "ir";
  emitIr?: boolean;
  dts?: boolean;
  sourceMap?: boolean;
  inlineSourceMap?: boolean;
}

interface CheckCommandOptions {
  config?: string;
  modes?: string;
}

const compileExamples = `
Examples:
  $ gradc compile model.grad                       # writes model.grad.ts next to it
  $ gradc compile                                  # the inputs of gradc.config.ts (or .json, package.json)
  $ gradc compile 'src/**/*.grad' --out-dir gen    # writes gen/<folders>/<name>.grad.ts
  $ gradc compile src --out-dir gen                # every .grad file below src
  $ gradc compile model.grad -o src/model.ts --modes grad,vjp
  $ gradc compile model.grad -o -                  # the module on standard output
  $ gradc compile model.grad --emit js             # model.grad.js and model.grad.d.ts
  $ gradc compile 'src/**/*.grad' --dts            # model.d.grad.ts, for a bundler plugin's imports
  $ gradc compile model.grad --runtime-import ./runtime.js --no-checks
  $ gradc compile model.grad --source-map          # also writes model.grad.ts.map
  $ gradc compile --check                          # CI: fail if an output is stale
  $ gradc compile --watch                          # recompile on every change, pick up new files
`;

const checkExamples = `
Examples:
  $ gradc check model.grad
  $ gradc check 'src/**/*.grad'
  $ gradc check                                    # the inputs of gradc.config.ts
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
  $ gradc compile                     # what gradc.config.ts names
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

  const modesHelp = `comma-separated derivative modes (${allModes.join(", ")}); default ${defaultModes.join(",")}`;
  const configHelp =
    'configuration file (default: gradc.config.{ts,mts,cts,js,mjs,cjs,json} or package.json\'s "gradc")';

  program
    .command("compile")
    .description("compile .grad files to TypeScript")
    .argument("[inputs...]", ".grad files, folders or quoted globs (default: the configuration's inputs)")
    .option("--config <file>", configHelp)
    .addOption(
      new Option(
        "-o, --output <file>",
        "output file (only with a single input; - for standard output)",
      ).conflicts("outDir"),
    )
    .option("--out-dir <dir>", "write DIR/<folders>/<name>.grad.ts for each input (created if needed)")
    .option("--modes <list>", modesHelp)
    .option(
      "--runtime-import <specifier>",
      `module the generated code imports the runtime from; default ${defaultRuntimeImport}`,
    )
    .option("--inline-runtime", "copy the runtime pieces the output uses into it (no import)")
    .option("--no-inline-runtime", "import the runtime (when the configuration inlines it)")
    .option("--checks", "validate argument shapes in the generated code (the default)")
    .option("--no-checks", "do not validate argument shapes in the generated code")
    .addOption(
      new Option(
        "--emit <kind>",
        "what to write: TypeScript (model.grad.ts), JavaScript and its declarations (model.grad.js, model.grad.d.ts) or the IR (model.grad.ir)",
      ).choices(["ts", "js", "ir"]),
    )
    .option("--emit-ir", "the same as --emit ir: the compiler's IR, model.grad.ir")
    .option("--dts", 'write only model.d.grad.ts beside each input: the types of `import "./model.grad"`')
    .option("--no-dts", "write modules (when the configuration asks for declarations)")
    .option(
      "--source-map",
      "also write OUT.map (model.grad.ts.map, model.grad.js.map), mapping the output to the .grad lines (for debuggers and stack traces)",
    )
    .option("--inline-source-map", "embed the source map in the output (a data: URL; no .map file)")
    .option("--no-source-map", "no source map (when the configuration asks for one)")
    .addOption(
      new Option(
        "--watch",
        "recompile each file when it changes; compile new files as they appear",
      ).conflicts("check"),
    )
    .option("--check", "write nothing; exit 1 if an output is missing or out of date")
    .addHelpText("after", compileExamples)
    .action(async (inputs: string[], options: CompileCommandOptions) => {
      setExitCode(await runCompileCommand(inputs, options, io, cwd));
    });

  program
    .command("check")
    .description("report diagnostics only; writes nothing")
    .argument("[inputs...]", ".grad files, folders or quoted globs (default: the configuration's inputs)")
    .option("--config <file>", configHelp)
    .option("--modes <list>", modesHelp)
    .addHelpText("after", checkExamples)
    .action(async (inputs: string[], options: CheckCommandOptions) => {
      setExitCode(await runCheckCommand(inputs, options, io, cwd));
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

/**
 * What a compile writes for each input: TypeScript (`model.grad.ts`), JavaScript and its
 * declarations (`model.grad.js`, `model.grad.d.ts`), the IR (`model.grad.ir`), or only the
 * declarations of the .grad file itself (`model.d.grad.ts`, for a bundler plugin's imports).
 */
export type Emit = "ts" | "js" | "ir" | "dts";

/** `--emit`, `--emit-ir` and `--dts`, else the configuration's `emit` and `dts`. */
function emitOf(options: CompileCommandOptions, config: GradcConfig): Emit {
  if (options.emitIr === true && options.emit !== undefined && options.emit !== "ir") {
    throw new UsageError(`--emit-ir is --emit ir; it cannot be combined with --emit ${options.emit}`);
  }
  const flag = options.emit ?? (options.emitIr === true ? "ir" : undefined);
  if (options.dts === true) {
    if (flag !== undefined && flag !== "ts") {
      throw new UsageError(
        `--dts writes declarations instead of modules; it cannot be combined with --emit ${flag}`,
      );
    }
    return "dts";
  }
  if (flag !== undefined) return flag;
  if (config.dts === true && options.dts !== false) return "dts";
  return config.emit ?? "ts";
}

/** How an emit is named in messages about the flags it does not go with. */
function emitFlag(emit: Emit): string {
  return emit === "dts" ? "--dts" : `--emit ${emit}`;
}

/** `--source-map`/`--inline-source-map`/`--no-source-map`, else the configuration's `sourceMap`. */
function sourceMapOf(
  options: CompileCommandOptions,
  config: GradcConfig,
  emit: Emit,
): BuildSettings["sourceMap"] {
  if (options.sourceMap === true && options.inlineSourceMap === true) {
    throw new UsageError("use either --source-map or --inline-source-map, not both");
  }
  if (options.sourceMap === false && options.inlineSourceMap === true) {
    throw new UsageError("use either --no-source-map or --inline-source-map, not both");
  }
  const flag = options.inlineSourceMap === true ? "inline" : options.sourceMap;
  if ((flag === true || flag === "inline") && emit !== "ts" && emit !== "js") {
    throw new UsageError(
      `${flag === true ? "--source-map" : "--inline-source-map"} maps TypeScript or JavaScript output; it cannot be combined with ${emitFlag(emit)}`,
    );
  }
  // A configuration's sourceMap is about its modules: declarations and the IR leave it aside.
  const chosen = flag ?? (emit === "ts" || emit === "js" ? config.sourceMap : undefined);
  return chosen === true ? "file" : chosen === "inline" ? "inline" : undefined;
}

/** The compile command's settings: each flag given wins over the configuration's key. */
function compileSettings(options: CompileCommandOptions, config: GradcConfig): BuildSettings {
  const emit = emitOf(options, config);
  const sourceMap = sourceMapOf(options, config, emit);
  const runtimeImport = options.runtimeImport ?? config.runtimeImport;
  if (runtimeImport !== undefined && runtimeImport.trim() === "") {
    throw new UsageError("--runtime-import needs a module specifier");
  }
  return {
    modes: options.modes !== undefined ? parseModes(options.modes) : (config.modes ?? defaultModes),
    ...(runtimeImport === undefined ? {} : { runtimeImport }),
    checks: options.checks ?? config.checks ?? true,
    inlineRuntime: options.inlineRuntime ?? config.inlineRuntime ?? false,
    emit,
    ...(sourceMap === undefined ? {} : { sourceMap }),
  };
}

/** Output options: `-o` and `--out-dir` win over the configuration's `outDir`. */
function outputOptionsOf(
  options: CompileCommandOptions,
  settings: BuildSettings,
  inputs: Inputs,
  cwd: string,
): OutputOptions {
  const { config } = inputs;
  if (settings.emit === "dts" && (options.output !== undefined || options.outDir !== undefined)) {
    throw new UsageError(
      `--dts writes model.d.grad.ts beside each input, where an import of the .grad file looks; it takes no ${options.output !== undefined ? "-o" : "--out-dir"}`,
    );
  }
  const configOutDir =
    options.output === undefined && settings.emit !== "dts" && config?.config.outDir !== undefined
      ? displayPath(path.resolve(config.dir, config.config.outDir), cwd)
      : undefined;
  const outDir = options.outDir ?? configOutDir;
  return {
    output: options.output,
    outDir,
    check: options.check === true,
    emit: settings.emit,
    root: inputs.root,
  };
}

// ---------------------------------------------------------------------------
// Jobs: each input and where its output goes

/** One input file and where its output goes. Paths are kept as the user wrote them, for messages. */
export interface Job {
  /** The input as given (relative to cwd), used in diagnostics. */
  readonly input: string;
  readonly inputPath: string;
  /** The output for messages: relative if the user's paths were. */
  readonly output: string;
  readonly outputPath: string;
  /** The input's own modes (from the configuration), instead of the settings' modes. */
  readonly modes?: readonly Mode[];
  readonly functionModes?: FunctionModes;
}

export interface OutputOptions {
  /** `-o`: the one output file. */
  readonly output?: string | undefined;
  /** `--out-dir`. */
  readonly outDir?: string | undefined;
  /** `--check`: compare with the outputs instead of writing them. */
  readonly check?: boolean;
  /** What is written; default `"ts"`. */
  readonly emit?: Emit;
  /**
   * The folder `--out-dir` mirrors below (absolute); default the deepest folder holding every
   * input. Set from the inputs' patterns, so that a file added later lands beside its neighbours.
   */
  readonly root?: string | undefined;
}

/** The extension appended to an input's name: `model.grad` → `model.grad.ts`. */
const extensions = { ts: ".ts", js: ".js", ir: ".ir" } as const;

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
  const emit = options.emit ?? "ts";
  if (options.output !== undefined && options.output !== standardOutput)
    checkOutputName(options.output, emit);
  // --out-dir mirrors the inputs' folders below the one they share (src/a/m.grad and
  // src/b/m.grad go to DIR/a/m.grad.ts and DIR/b/m.grad.ts), as tsc's outDir does.
  const root = options.root ?? commonFolder(unique.map((input) => path.dirname(path.resolve(cwd, input))));
  const jobs: Job[] = unique.map((input) => {
    let output: string;
    if (emit === "dts") output = declarationBeside(input);
    else if (options.output !== undefined) output = options.output;
    else if (options.outDir !== undefined) {
      const folder = path.relative(root, path.dirname(path.resolve(cwd, input)));
      output = path.join(options.outDir, folder, `${path.basename(input)}${extensions[emit]}`);
    } else output = `${input}${extensions[emit]}`;
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

/** TypeScript in a .js file would not run, nor JavaScript in a .ts file: refuse the name rather than write it. */
function checkOutputName(output: string, emit: Emit): void {
  const isJs = /\.[cm]?jsx?$/i.test(output);
  if (emit === "ts" && isJs) {
    throw new UsageError(
      `-o ${output}: gradc writes TypeScript; name the output .ts (e.g. ${output.replace(/\.[cm]?jsx?$/i, ".ts")}), or use --emit js`,
    );
  }
  if (emit === "js" && !/\.[cm]?js$/i.test(output)) {
    throw new UsageError(
      `-o ${output}: --emit js writes JavaScript; name the output .js, .mjs or .cjs (its declarations go beside it)`,
    );
  }
}

/** `--dts`: `model.grad` → `model.d.grad.ts`, the file TypeScript reads for `import "./model.grad"`. */
function declarationBeside(input: string): string {
  const extension = path.extname(input);
  const stem = input.slice(0, input.length - extension.length);
  return `${stem}.d${extension}.ts`;
}

/** The declarations of a JavaScript output: `model.grad.js` → `model.grad.d.ts` (`.mjs` → `.d.mts`). */
function declarationOfJs(file: string): string {
  return file.replace(/\.([cm]?)js$/i, (_, kind: string) => `.d.${kind}ts`);
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

/**
 * The files written beside an output (its source map, a JavaScript output's declarations),
 * which must not overwrite an input either (`-o model` beside an input `model.map`).
 */
function checkCompanionPaths(jobs: readonly Job[], settings: BuildSettings): void {
  const inputs = new Map(jobs.map((job) => [job.inputPath, job]));
  for (const job of jobs) {
    if (job.output === standardOutput) continue;
    for (const companion of companionsOf(job, settings)) {
      const input = inputs.get(companion.path);
      if (input !== undefined) {
        throw new UsageError(
          `${companion.what} ${companion.display} would overwrite the input ${input.input}`,
        );
      }
    }
  }
}

function companionsOf(job: Job, settings: BuildSettings): { what: string; display: string; path: string }[] {
  if (settings.sourceMap === "file") return [{ what: "source map", ...mapFileOf(job) }];
  if (settings.emit === "js") {
    return [
      {
        what: "declaration file",
        display: declarationOfJs(job.output),
        path: declarationOfJs(job.outputPath),
      },
    ];
  }
  return [];
}

// ---------------------------------------------------------------------------
// Inputs and the configuration

/** The files to compile: named on the command line, else by the configuration's `inputs`. */
interface Inputs {
  readonly config: LoadedConfig | undefined;
  readonly files: readonly InputFile[];
  /** The folder `--out-dir` mirrors below: where every input's pattern starts. */
  readonly root: string;
  /** The files the same patterns name now (for --watch; none is not an error then). */
  readonly rescan: () => Promise<InputFile[]>;
  /** What --watch watches for new and removed files: glob bases, folders, files. */
  readonly watchPaths: readonly string[];
  /** Whether an input is a folder or a glob, which new files can come to match. */
  readonly discovers: boolean;
}

/** `--config FILE`, else the configuration file in the current directory, if any. */
async function openConfig(file: string | undefined, cwd: string): Promise<LoadedConfig | undefined> {
  return file !== undefined ? loadConfig(file, cwd) : findConfig(cwd);
}

async function resolveInputs(
  patterns: readonly string[],
  config: LoadedConfig | undefined,
  cwd: string,
): Promise<Inputs> {
  const configInputs = config?.config.inputs;
  if (patterns.length === 0 && configInputs === undefined) {
    throw new UsageError(
      config === undefined
        ? "no input files: name .grad files, folders or globs, or list them as inputs in gradc.config.ts"
        : `no input files: name them on the command line, or list them as inputs in ${config.name}`,
    );
  }
  // Command-line patterns are relative to the current directory; the configuration's to its folder.
  const fromConfig = patterns.length === 0 && config !== undefined;
  const list = fromConfig ? (typeof configInputs === "string" ? [configInputs] : configInputs!) : patterns;
  const base = fromConfig ? config.dir : cwd;
  const expand = (allowEmpty: boolean) => expandInputs(list, base, cwd, { allowEmpty });
  let expanded: Awaited<ReturnType<typeof expand>>;
  try {
    expanded = await expand(false);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new UsageError(fromConfig ? `${config.name}: inputs: ${error.message}` : error.message);
  }
  // A file named on the command line that is missing is reported when read; one the
  // configuration names is the configuration's mistake.
  const missing = fromConfig
    ? expanded.specs.find((spec) => spec.kind === "file" && !existsSync(path.resolve(base, spec.pattern)))
    : undefined;
  if (missing !== undefined)
    throw new UsageError(`${config!.name}: inputs: ${missing.pattern} does not exist`);
  return {
    config,
    files: expanded.files,
    root: commonFolder(expanded.specs.map((spec) => spec.root)),
    rescan: async () => (await expand(true)).files,
    watchPaths: expanded.specs.map((spec) =>
      spec.kind === "file" ? path.resolve(base, spec.pattern) : spec.root,
    ),
    discovers: expanded.specs.some((spec) => spec.kind !== "file"),
  };
}

/**
 * Each job's modes from the configuration: its `modes`, `functions` and the `overrides` that
 * apply to the input. `--modes` on the command line replaces all of them. When starting, an
 * override's pattern that matches nothing and a function name no file defines are errors;
 * --watch, adding a file later, takes the overrides as they match then.
 */
async function withConfigModes(
  jobs: readonly Job[],
  inputs: Inputs,
  modesFlag: string | undefined,
  { starting }: { starting: boolean },
): Promise<Job[]> {
  const loaded = inputs.config;
  if (loaded === undefined || modesFlag !== undefined) return [...jobs];
  const { config } = loaded;
  if (config.modes === undefined && config.functions === undefined && config.overrides === undefined)
    return [...jobs];
  const overrides = await resolveOverrides(loaded, { allowEmpty: !starting });
  if (starting) {
    // The config's own `functions` apply to its inputs; without any, to the files named.
    const files =
      config.inputs === undefined
        ? jobs.map((job) => job.inputPath)
        : await expandConfigPatterns(loaded, config.inputs, "inputs");
    await checkFunctionNames(loaded, files, overrides, async (file) => {
      const source = await readFile(file, "utf8").catch(() => undefined);
      return source === undefined ? undefined : functionNames(source);
    });
  }
  return Promise.all(
    jobs.map(async (job) => ({
      ...job,
      ...modesForFile(await realTarget(job.inputPath), config, overrides, defaultModes),
    })),
  );
}

/** The inputs' sources, the jobs for them, and the settings, checked before anything is written. */
interface CompilePlan {
  readonly inputs: Inputs;
  readonly jobs: readonly Job[];
  readonly settings: BuildSettings;
  readonly outputOptions: OutputOptions;
}

async function planCompile(
  patterns: readonly string[],
  options: CompileCommandOptions,
  cwd: string,
): Promise<CompilePlan> {
  const config = await openConfig(options.config, cwd);
  const settings = compileSettings(options, config?.config ?? {});
  if (settings.sourceMap === "file" && options.output === standardOutput) {
    throw new UsageError(
      "--source-map writes OUT.ts.map beside the output; with -o - use --inline-source-map",
    );
  }
  const inputs = await resolveInputs(patterns, config, cwd);
  const outputOptions = outputOptionsOf(options, settings, inputs, cwd);
  const planned = planJobs(
    inputs.files.map((file) => file.display),
    outputOptions,
    cwd,
  );
  await checkRealPaths(planned);
  checkCompanionPaths(planned, settings);
  const jobs = await withConfigModes(planned, inputs, options.modes, { starting: true });
  return { inputs, jobs, settings, outputOptions };
}

// ---------------------------------------------------------------------------
// Commands

export interface BuildSettings {
  /** The modes of a job without its own. */
  readonly modes: readonly Mode[];
  /** Unset: compile's default, the runtime package. */
  readonly runtimeImport?: string;
  readonly checks: boolean;
  readonly inlineRuntime: boolean;
  readonly emit: Emit;
  /** A source map: written beside each output as OUT.ts.map, or embedded in it. */
  readonly sourceMap?: "file" | "inline";
}

/** At least this many inputs, on a terminal, show a progress line. */
const progressThreshold = 10;

async function runCompileCommand(
  patterns: readonly string[],
  options: CompileCommandOptions,
  io: CliIo,
  cwd: string,
): Promise<number> {
  const plan = await planCompile(patterns, options, cwd);
  const { jobs, settings } = plan;
  const sources = await readSources(jobs, io);
  if (sources === undefined) return exitCodes.usage;

  if (options.watch === true) {
    const modesOf = (jobs: readonly Job[]) =>
      withConfigModes(jobs, plan.inputs, options.modes, { starting: false });
    const watcher = await startWatch(plan, modesOf, io, sources);
    const { signal, release } =
      io.signal === undefined ? interruption() : { signal: io.signal, release: () => {} };
    const stop = () => void watcher.close();
    if (signal.aborted) stop();
    signal.addEventListener("abort", stop, { once: true });
    await watcher.closed;
    signal.removeEventListener("abort", stop);
    release();
    return exitCodes.ok;
  }

  let exitCode: number = exitCodes.ok;
  const tally = new Tally();
  await eachWithProgress(jobs, io, async (job, i, out) => {
    const source = sources[i] ?? "";
    const result =
      options.check === true
        ? await checkOutput(job, source, settings, out, tally)
        : await build(job, source, settings, out, tally);
    exitCode = Math.max(exitCode, result);
  });
  tally.printSummary(io);
  return exitCode;
}

/**
 * Aborted by the first Ctrl-C or SIGTERM, so a watch stops between writes and leaves no
 * temporary file behind; a second one, with no listener left, ends the process at once.
 */
function interruption(): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const abort = () => {
    release();
    controller.abort();
  };
  const release = () => {
    process.off("SIGINT", abort);
    process.off("SIGTERM", abort);
  };
  process.once("SIGINT", abort);
  process.once("SIGTERM", abort);
  return { signal: controller.signal, release };
}

async function runCheckCommand(
  patterns: readonly string[],
  options: CheckCommandOptions,
  io: CliIo,
  cwd: string,
): Promise<number> {
  const config = await openConfig(options.config, cwd);
  const modes =
    options.modes !== undefined ? parseModes(options.modes) : (config?.config.modes ?? defaultModes);
  const inputs = await resolveInputs(patterns, config, cwd);
  const planned = planJobs(
    inputs.files.map((file) => file.display),
    {},
    cwd,
  );
  const jobs = await withConfigModes(planned, inputs, options.modes, { starting: true });
  const sources = await readSources(jobs, io);
  if (sources === undefined) return exitCodes.usage;
  let exitCode: number = exitCodes.ok;
  const tally = new Tally();
  await eachWithProgress(jobs, io, async (job, i, out) => {
    const source = sources[i] ?? "";
    const { diagnostics } = check(source, { filename: job.input, ...modesOfJob(job, source, modes) });
    report(diagnostics, source, out, tally);
    if (diagnostics.some((d) => d.severity === "error")) exitCode = exitCodes.errors;
  });
  tally.printSummary(io);
  return exitCode;
}

/** The modes to compile one job with: its own (from the configuration) or the settings'. */
function modesOfJob(
  job: Job,
  source: string,
  modes: readonly Mode[],
): { modes: readonly Mode[]; functionModes?: FunctionModes } {
  const own = job.modes ?? modes;
  if (job.functionModes === undefined) return { modes: own };
  return { modes: own, functionModes: definedFunctionModes(job.functionModes, source) };
}

/**
 * Runs `work` on each job in order. With many jobs on a terminal, a status line shows which
 * (`[12/40] src/a.grad`); `work` writes through the io it is given, which clears that line
 * first so messages never mix with it. The line is cleared at the end.
 */
async function eachWithProgress(
  jobs: readonly Job[],
  io: CliIo,
  work: (job: Job, index: number, io: CliIo) => Promise<void>,
): Promise<void> {
  const status = jobs.length >= progressThreshold ? io.status : undefined;
  if (status === undefined) {
    for (const [i, job] of jobs.entries()) await work(job, i, io);
    return;
  }
  let shown = false;
  const clear = () => {
    if (shown) status("");
    shown = false;
  };
  const quiet: CliIo = {
    ...io,
    stdout: (s) => {
      clear();
      io.stdout(s);
    },
    stderr: (s) => {
      clear();
      io.stderr(s);
    },
  };
  try {
    for (const [i, job] of jobs.entries()) {
      status(`[${i + 1}/${jobs.length}] ${job.input}`);
      shown = true;
      await work(job, i, quiet);
    }
  } finally {
    clear();
  }
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
  printSummary(io: CliIo): void {
    if (this.errors + this.warnings === 0) return;
    const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
    const parts = [
      ...(this.errors > 0 ? [count(this.errors, "error")] : []),
      ...(this.warnings > 0 ? [count(this.warnings, "warning")] : []),
    ];
    const summary = `Found ${parts.join(" and ")} in ${count(this.files.size, "file")}.`;
    io.stderr(`${styled(summary, ["bold"], io.color === true)}\n`);
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
  const { emit, sourceMap, modes, ...rest } = settings;
  const result = await compile(source, {
    filename: job.input,
    ...rest,
    ...modesOfJob(job, source, modes),
    emit: emit === "ir" ? "ir" : "typescript",
    ...(sourceMap === undefined ? {} : { sourceMap: true }),
  });
  return { diagnostics: result.diagnostics, files: await outputFiles(job, source, result, settings) };
}

/** A file an input compiles to: the module, its source map or its declarations. */
interface OutputFile {
  /** For messages: as the user wrote the output. */
  readonly display: string;
  readonly path: string;
  readonly text: string;
}

/**
 * What a compiled input writes, in the order to write it: the module last, after its map or its
 * declarations (so the module never points at a stale map, nor is imported with stale types).
 * Undefined when there are errors.
 */
async function outputFiles(
  job: Job,
  input: string,
  result: { readonly code: string | undefined; readonly map?: SourceMap },
  settings: BuildSettings,
): Promise<OutputFile[] | undefined> {
  const { code, map } = result;
  if (code === undefined) return undefined;
  const module = (text: string): OutputFile => ({ display: job.output, path: job.outputPath, text });
  const moduleName = `${path.basename(job.input)}.ts`;
  const declarations = async () =>
    withGeneratedHeader(await formatEmitted(declarationsOf(code, moduleName)), code);
  if (settings.emit === "dts") return [module(await declarations())];
  if (settings.emit === "js") {
    // Laid out as the TypeScript is (TypeScript's printer indents by four and joins lines).
    const javaScript = await formatEmitted(toJavaScript(code, moduleName));
    // Erasing types moves lines: the JavaScript gets a map of its own, from its own text.
    const mapped = withSourceMap(job, javaScript, settings.sourceMap, (names) =>
      javaScriptSourceMap(javaScript, input, names),
    );
    // JavaScript on standard output goes alone: its declarations need a file to live in.
    if (job.output === standardOutput) return mapped;
    return [
      {
        display: declarationOfJs(job.output),
        path: declarationOfJs(job.outputPath),
        text: await declarations(),
      },
      ...mapped,
    ];
  }
  if (map === undefined) return [module(code)];
  return withSourceMap(job, code, settings.sourceMap, ({ source, file }) =>
    renameSourceMap(map, source, file),
  );
}

/**
 * The module, and its source map as `--source-map` or `--inline-source-map` asks: `mapOf` makes
 * the map naming the .grad file by `source`, a URL relative to where the map will be, and the
 * module by `file` when the map is a file of its own.
 */
function withSourceMap(
  job: Job,
  code: string,
  sourceMap: BuildSettings["sourceMap"],
  mapOf: (names: { source: string; file?: string }) => SourceMap,
): OutputFile[] {
  const module = (text: string): OutputFile => ({ display: job.output, path: job.outputPath, text });
  if (sourceMap === undefined) return [module(code)];
  if (job.output === standardOutput) {
    // Where standard output ends up is unknown: the source is named relative to the current directory.
    return [module(withInlineSourceMap(code, mapOf({ source: pathToUrlPath(job.input, path.sep) })))];
  }
  const outputDir = path.dirname(job.outputPath);
  const source = pathToUrlPath(path.relative(outputDir, job.inputPath), path.sep);
  const named = mapOf({ source, file: path.basename(job.outputPath) });
  if (sourceMap === "inline") return [module(withInlineSourceMap(code, named))];
  const mapFile = mapFileOf(job);
  return [
    { display: mapFile.display, path: mapFile.path, text: `${JSON.stringify(named)}\n` },
    module(withSourceMappingUrl(code, pathToUrlPath(path.basename(mapFile.path), path.sep))),
  ];
}

/** Declarations open with the module's `// Code generated by gradc ...` line, so they read as generated too. */
function withGeneratedHeader(declarations: string, code: string): string {
  const header = code.slice(0, code.indexOf("\n") + 1);
  return header.startsWith("// Code generated by gradc") && !declarations.startsWith(header)
    ? header + declarations
    : declarations;
}

/** `--source-map`: the map is written beside the output, named after it: `model.grad.ts.map`. */
function mapFileOf(job: Job): { display: string; path: string } {
  return { display: `${job.output}.map`, path: `${job.outputPath}.map` };
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
    // An output already as it would be written is left alone: its time stays, so watchers
    // downstream (tsc --watch, a dev server) do not rebuild for nothing.
    if ((await readFile(file.path, "utf8").catch(() => undefined)) === file.text) {
      io.stdout(`unchanged ${file.display}\n`);
      continue;
    }
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

/** `--check`: compiles and compares with every file a build would write; writes nothing. */
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
  /** Resolves once no compile is running or queued, nor a search for new files. */
  idle(): Promise<void>;
}

export interface WatchOptions extends OutputOptions {
  readonly modes?: readonly Mode[];
  /** Modes of single functions, for the files that define them. */
  readonly functionModes?: FunctionModes;
  readonly runtimeImport?: string;
  readonly checks?: boolean;
  readonly inlineRuntime?: boolean;
  /** `true`: write OUT.ts.map beside each output; `"inline"`: embed the map in it. */
  readonly sourceMap?: boolean | "inline";
}

/**
 * Compiles the files `inputs` name (files, folders, globs), then recompiles each one whenever
 * it changes, and compiles new files the inputs come to match, until `close()` is called.
 * Results go to `io` as in `gradc compile`. Throws a usage error (message only) for an unusable
 * combination of inputs and options.
 */
export async function watch(
  inputs: readonly string[],
  options: WatchOptions = {},
  io: CliIo = defaultIo,
): Promise<Watcher> {
  const cwd = io.cwd ?? process.cwd();
  const resolved = await resolveInputs(inputs, undefined, cwd);
  const emit = options.emit ?? "ts";
  const settings: BuildSettings = {
    modes: options.modes ?? defaultModes,
    ...(options.runtimeImport === undefined ? {} : { runtimeImport: options.runtimeImport }),
    checks: options.checks ?? true,
    inlineRuntime: options.inlineRuntime ?? false,
    emit,
    ...(options.sourceMap === true
      ? { sourceMap: "file" }
      : options.sourceMap === "inline"
        ? { sourceMap: "inline" }
        : {}),
  };
  const outputOptions: OutputOptions = { ...options, root: options.root ?? resolved.root };
  const planned = planJobs(
    resolved.files.map((file) => file.display),
    outputOptions,
    cwd,
  );
  await checkRealPaths(planned);
  checkCompanionPaths(planned, settings);
  const withModes = async (jobs: readonly Job[]): Promise<Job[]> =>
    jobs.map((job) =>
      options.functionModes === undefined ? job : { ...job, functionModes: options.functionModes },
    );
  const plan: CompilePlan = { inputs: resolved, jobs: await withModes(planned), settings, outputOptions };
  return startWatch(plan, withModes, io, undefined);
}

/**
 * Watches the inputs' files, and the folders their globs and folders start from. One compile
 * per file at a time; a change during it schedules exactly one more. A .grad file appearing
 * makes the inputs' patterns be expanded again: what they now match is compiled and tracked.
 * A removed file is no longer tracked; nothing is deleted.
 */
async function startWatch(
  plan: CompilePlan,
  modesOf: (jobs: readonly Job[]) => Promise<Job[]>,
  io: CliIo,
  initialSources: readonly string[] | undefined,
): Promise<Watcher> {
  const { inputs, settings, outputOptions } = plan;
  const cwd = io.cwd ?? process.cwd();
  const tracked = new Map(plan.jobs.map((job) => [job.inputPath, job]));
  const running = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  // New files refused (say, a second input with -o): reported once, not at every event.
  const refused = new Set<string>();
  let closing = false;

  const reportInternal = (error: unknown): void => {
    const message = error instanceof Error ? error.message : String(error);
    safeWrite(io.stderr, `gradc: internal error: ${message} (please report this)\n`);
  };

  const rebuild = async (job: Job, source?: string): Promise<void> => {
    if (tracked.get(job.inputPath) !== job) return; // removed (or replaced) meanwhile
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
        while (dirty.delete(job.inputPath) && !closing) await rebuild(tracked.get(job.inputPath) ?? job);
      } catch (error) {
        reportInternal(error);
      } finally {
        running.delete(job.inputPath);
      }
    })();
    running.set(job.inputPath, run);
  };

  /** Plans a new input beside the tracked ones; undefined (after saying why) if it cannot be compiled. */
  const planNew = async (file: InputFile): Promise<Job | undefined> => {
    try {
      const all = planJobs(
        [...[...tracked.values()].map((job) => job.input), file.display],
        outputOptions,
        cwd,
      );
      await checkRealPaths(all);
      checkCompanionPaths(all, settings);
      const job = all.find((j) => j.inputPath === file.path);
      return job === undefined ? undefined : (await modesOf([job]))[0];
    } catch (error) {
      if (!(error instanceof UsageError || error instanceof ConfigError)) throw error;
      if (!refused.has(file.path)) io.stderr(`gradc: not compiling ${file.display}: ${error.message}\n`);
      refused.add(file.path);
      return undefined;
    }
  };

  const findNewFiles = async (): Promise<void> => {
    if (closing) return;
    for (const file of await inputs.rescan()) {
      if (tracked.has(file.path) || !(await isFile(file.path))) continue;
      const job = await planNew(file);
      if (job === undefined || closing) continue;
      refused.delete(file.path);
      tracked.set(job.inputPath, job);
      schedule(job);
    }
  };
  // One search at a time, each after the last: a burst of new files is picked up in order.
  let discovery: Promise<void> = Promise.resolve();
  const discover = (): void => {
    discovery = discovery.then(findNewFiles).catch(reportInternal);
  };

  const forget = (removed: string): void => {
    refused.delete(removed);
    for (const job of [...tracked.values()]) {
      if (job.inputPath !== removed && !job.inputPath.startsWith(removed + path.sep)) continue;
      tracked.delete(job.inputPath);
      dirty.delete(job.inputPath);
      io.stderr(`gradc: ${job.input} was removed; no longer compiling it (${job.output} is left as it is)\n`);
    }
  };

  const idle = async (): Promise<void> => {
    for (;;) {
      const pending = discovery;
      await pending;
      if (running.size > 0) await Promise.all(running.values());
      else if (pending === discovery) return;
    }
  };

  const { watch: chokidarWatch } = await import("chokidar");
  const roots = new Set(inputs.watchPaths);
  const fsWatcher = chokidarWatch([...roots], {
    ignoreInitial: true,
    persistent: true,
    // Below the watched folders, what an input pattern skips, and every file but .grad ones.
    ignored: (file, stats) => {
      if (roots.has(file)) return false;
      const name = path.basename(file);
      if (name === "node_modules" || name.startsWith(".")) return true;
      return stats?.isFile() === true && !name.endsWith(".grad");
    },
    // Compile a file once the editor has finished writing it.
    awaitWriteFinish: { stabilityThreshold: 50, pollInterval: 10 },
  });
  const onEvent = (file: string): void => {
    const job = tracked.get(path.resolve(file));
    if (job !== undefined) schedule(job);
    else if (file.endsWith(".grad") && !closing) discover();
  };
  fsWatcher.on("add", onEvent);
  fsWatcher.on("change", onEvent);
  fsWatcher.on("unlink", (file: string) => forget(path.resolve(file)));
  fsWatcher.on("unlinkDir", (dir: string) => forget(path.resolve(dir)));
  fsWatcher.on("error", (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    safeWrite(io.stderr, `gradc: watch error: ${message}\n`);
  });
  await new Promise<void>((resolve) => fsWatcher.once("ready", () => resolve()));

  // The first build goes in order, one file after another, as gradc compile does.
  for (const [i, job] of plan.jobs.entries()) {
    schedule(job, initialSources?.[i]);
    await running.get(job.inputPath);
  }
  await idle();
  const count = `${tracked.size} ${tracked.size === 1 ? "file" : "files"}`;
  io.stdout(
    `watching ${count} for changes${inputs.discovers ? ", and the inputs' folders for new files" : ""} (Ctrl-C to stop)\n`,
  );

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
