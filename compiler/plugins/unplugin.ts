// The bundler plugin: `import { loss, lossGrad } from "./model.grad"` compiles model.grad when the
// bundle is built, for Vite, Rollup, esbuild and webpack alike (one unplugin, one entry each).
// A .grad module is compiled to TypeScript, unformatted (nobody reads it in a bundle), and its
// types erased; a source map points each line at the .grad statement it computes. Diagnostics
// reach the bundler as its own errors and warnings, located in the .grad file, with a code frame.
// The project's gradc.config (or package.json's "gradc") gives the settings the plugin's own
// options leave unset, so the CLI and the bundler compile a model alike.

import { createUnplugin, type FilterPattern, type UnpluginFactory, type UnpluginMessage } from "unplugin";
import { compile, defaultModes, type CompileOptions, type FunctionModes, type Mode } from "../compile.js";
import {
  ConfigError,
  definedFunctionModes,
  findConfig,
  loadConfig,
  modesForFile,
  resolveOverrides,
  type LoadedConfig,
  type ResolvedOverride,
} from "../config.js";
import { realTarget } from "../files.js";
import { formatDiagnostic, type Diagnostic } from "../diagnostics.js";
import type { SourceMap } from "../source-map.js";

export interface GradcPluginOptions {
  /** Which derivative functions to generate; default `["grad", "vjp"]`. */
  readonly modes?: readonly Mode[];
  /** Modes for single functions, replacing `modes` for them: `{ loss: ["grad", "hessian"] }`. */
  readonly functions?: FunctionModes;
  /** Validate arguments in the generated functions; default true. */
  readonly checks?: boolean;
  /** The module generated code imports the runtime from; default gradc's runtime package. */
  readonly runtimeImport?: string;
  /** Copy the runtime pieces each module uses into it instead of importing them; default false. */
  readonly inlineRuntime?: boolean;
  /**
   * The modules to compile: globs (relative to the working folder) or regular expressions.
   * Default: every `.grad` file.
   */
  readonly include?: FilterPattern;
  /** Modules not to compile, even if `include` matches them. */
  readonly exclude?: FilterPattern;
  /**
   * The configuration file whose settings apply where these options leave them unset (`modes`,
   * `functions`, `overrides`, `checks`, `runtimeImport`, `inlineRuntime`): a path, or `false` for
   * none. Default: `gradc.config.*` or package.json's `"gradc"` in the working folder, if any.
   */
  readonly config?: string | false;
}

const gradFiles = /\.grad$/;

export const unpluginFactory: UnpluginFactory<GradcPluginOptions | undefined, false> = (options = {}) => {
  // The last compile of each file: a dev server compiling one module for the browser and for SSR,
  // or a rebuild that meets an unchanged file, compiles it once.
  const latest = new Map<string, { source: string; compiled: Promise<CompiledModule> }>();
  let project: Promise<ProjectConfig | undefined> | undefined;
  const compiledOnce = (source: string, id: string) => {
    const cached = latest.get(id);
    if (cached?.source === source) return cached.compiled;
    project ??= projectConfig(options.config);
    const compiled = project.then(async (config) =>
      compileToJavaScript(source, id, await compileOptionsOf(id, source, options, config)),
    );
    latest.set(id, { source, compiled });
    return compiled;
  };
  return {
    name: "gradc",
    transform: {
      filter: { id: { include: options.include ?? gradFiles, exclude: options.exclude } },
      async handler(source, id) {
        let compiled: CompiledModule;
        try {
          compiled = await compiledOnce(source, id);
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          // A mistake in the configuration: its message names the file and the key.
          this.error({ message: `gradc: ${error.message}`, id });
          return { code: "" };
        }
        for (const warning of compiled.diagnostics.filter((d) => d.severity === "warning")) {
          this.warn(bundlerMessage(warning, [], source, id));
        }
        const errors = compiled.diagnostics.filter((d) => d.severity === "error");
        if (errors.length > 0) {
          this.error(bundlerMessage(errors[0]!, errors.slice(1), source, id));
          // Rollup and Vite throw in `error`; esbuild collects the errors and reports them with a result.
          return { code: "" };
        }
        // A copy of the map: bundlers may edit the one they are given.
        return { code: compiled.code!, map: structuredClone(compiled.map!) };
      },
    },
    // esbuild would otherwise call the plugin for every file it loads.
    esbuild: options.include === undefined ? { onLoadFilter: gradFiles } : {},
  };
};

export const unplugin = /* #__PURE__ */ createUnplugin(unpluginFactory);
export default unplugin;

interface CompiledModule {
  readonly code: string | undefined;
  readonly map: SourceMap | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** The project's configuration, with the files each of its overrides applies to. */
interface ProjectConfig {
  readonly loaded: LoadedConfig;
  readonly overrides: readonly ResolvedOverride[];
}

/** The configuration the plugin reads once: the one named, or the one in the working folder. */
async function projectConfig(config: string | false | undefined): Promise<ProjectConfig | undefined> {
  if (config === false) return undefined;
  const loaded =
    config === undefined ? await findConfig(process.cwd()) : await loadConfig(config, process.cwd());
  if (loaded === undefined) return undefined;
  return { loaded, overrides: await resolveOverrides(loaded, { allowEmpty: true }) };
}

/**
 * How to compile the module `id`: the plugin's options, then the configuration's keys for what
 * they leave unset. Per-function modes are kept for the functions this file defines (an entry
 * may name another file's function).
 */
async function compileOptionsOf(
  id: string,
  source: string,
  options: GradcPluginOptions,
  project: ProjectConfig | undefined,
): Promise<CompileOptions> {
  const config = project?.loaded.config ?? {};
  let modes = options.modes;
  let functionModes = options.functions;
  if (modes === undefined && functionModes === undefined && project !== undefined) {
    const file = await realTarget(id);
    const fileModes = modesForFile(file, config, project.overrides, defaultModes);
    modes = fileModes.modes;
    functionModes = definedFunctionModes(fileModes.functionModes, source);
  }
  const checks = options.checks ?? config.checks;
  const runtimeImport = options.runtimeImport ?? config.runtimeImport;
  const inlineRuntime = options.inlineRuntime ?? config.inlineRuntime;
  return {
    filename: id,
    format: false,
    ...(modes === undefined ? {} : { modes }),
    ...(functionModes === undefined ? {} : { functionModes }),
    ...(checks === undefined ? {} : { checks }),
    ...(runtimeImport === undefined ? {} : { runtimeImport }),
    ...(inlineRuntime === undefined ? {} : { inlineRuntime }),
  };
}

/** The .grad module as JavaScript with its source map, or its diagnostics. */
async function compileToJavaScript(
  source: string,
  id: string,
  options: CompileOptions,
): Promise<CompiledModule> {
  const { code, diagnostics } = await compile(source, options);
  if (code === undefined) return { code, map: undefined, diagnostics };
  // Loaded on the first .grad module, not with the bundler's config: it loads TypeScript.
  const { javaScriptSourceMap, toJavaScript } = await import("../emit-js.js");
  const javaScript = toJavaScript(code, `${id}.ts`);
  return { code: javaScript, map: javaScriptSourceMap(javaScript, source, { source: id }), diagnostics };
}

/**
 * A diagnostic as the bundlers take it: `loc` with a 1-based line and a 0-based column in UTF-16
 * code units (as Rollup and Vite count them), and `frame`, the source lines under it, for Vite's
 * error overlay. Several errors of one file are one message listing each in order with its frame
 * (a bundler takes one error per module); `loc` is the first one's.
 */
function bundlerMessage(
  first: Diagnostic,
  others: readonly Diagnostic[],
  source: string,
  id: string,
): UnpluginMessage & { frame?: string } {
  const all = [first, ...others];
  const message: UnpluginMessage & { frame?: string } = {
    message:
      others.length === 0
        ? `${first.code}: ${first.message}`
        : `${all.length} errors:\n\n${all.map((d) => formatDiagnostic(d, source)).join("\n\n")}`,
    id,
    code: first.code,
  };
  // An invalid option is nowhere in the source.
  if (first.code === "GC0301") return message;
  const loc = { file: id, line: first.line, column: codeUnitColumn(source, first) };
  if (others.length > 0) return { ...message, loc };
  return { ...message, loc, frame: formatDiagnostic(first, source).split("\n").slice(1).join("\n") };
}

/** A diagnostic's column (1-based, in characters) as a 0-based column in UTF-16 code units. */
function codeUnitColumn(source: string, d: Diagnostic): number {
  const line = source.replace(/^\uFEFF/, "").split(/\r?\n/)[d.line - 1] ?? "";
  return [...line].slice(0, d.column - 1).join("").length;
}
