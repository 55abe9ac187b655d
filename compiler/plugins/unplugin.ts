// The bundler plugin: `import { loss, lossGrad } from "./model.grad"` compiles model.grad when the
// bundle is built, for Vite, Rollup, esbuild and webpack alike (one unplugin, one entry each).
// A .grad module is compiled to TypeScript, unformatted (nobody reads it in a bundle), and its
// types erased; a source map points each line at the .grad statement it computes. Diagnostics
// reach the bundler as its own errors and warnings, located in the .grad file, with a code frame.

import { createUnplugin, type FilterPattern, type UnpluginFactory, type UnpluginMessage } from "unplugin";
import { compile, type FunctionModes, type Mode } from "../compile.js";
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
}

const gradFiles = /\.grad$/;

export const unpluginFactory: UnpluginFactory<GradcPluginOptions | undefined, false> = (options = {}) => {
  // The last compile of each file: a dev server compiling one module for the browser and for SSR,
  // or a rebuild that meets an unchanged file, compiles it once.
  const latest = new Map<string, { source: string; compiled: Promise<CompiledModule> }>();
  const compiledOnce = (source: string, id: string) => {
    const cached = latest.get(id);
    if (cached?.source === source) return cached.compiled;
    const compiled = compileToJavaScript(source, id, options);
    latest.set(id, { source, compiled });
    return compiled;
  };
  return {
    name: "gradc",
    transform: {
      filter: { id: { include: options.include ?? gradFiles, exclude: options.exclude } },
      async handler(source, id) {
        const compiled = await compiledOnce(source, id);
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

/** The .grad module `id` as JavaScript with its source map, or its diagnostics. */
async function compileToJavaScript(
  source: string,
  id: string,
  options: GradcPluginOptions,
): Promise<CompiledModule> {
  const { code, diagnostics } = await compile(source, {
    filename: id,
    format: false,
    ...(options.modes === undefined ? {} : { modes: options.modes }),
    ...(options.functions === undefined ? {} : { functionModes: options.functions }),
    ...(options.checks === undefined ? {} : { checks: options.checks }),
    ...(options.runtimeImport === undefined ? {} : { runtimeImport: options.runtimeImport }),
    ...(options.inlineRuntime === undefined ? {} : { inlineRuntime: options.inlineRuntime }),
  });
  if (code === undefined) return { code, map: undefined, diagnostics };
  // Loaded on the first .grad module, not with the bundler's config: it loads TypeScript.
  const { javaScriptSourceMap, toJavaScript } = await import("../emit-js.js");
  const javaScript = toJavaScript(code, `${id}.ts`);
  return { code: javaScript, map: javaScriptSourceMap(javaScript, source, { source: id }), diagnostics };
}

/**
 * A diagnostic as the bundlers take it: `loc` with a 1-based line and a 0-based column in UTF-16
 * code units (as Rollup and Vite count them), and `frame`, the source lines under it, for Vite's
 * error overlay. Further errors of the same file follow in the message, each with its frame.
 */
function bundlerMessage(
  first: Diagnostic,
  others: readonly Diagnostic[],
  source: string,
  id: string,
): UnpluginMessage & { frame?: string } {
  const more = others.map((d) => `\n\n${formatDiagnostic(d, source)}`).join("");
  const message: UnpluginMessage & { frame?: string } = {
    message: `${first.code}: ${first.message}${more}`,
    id,
    code: first.code,
  };
  // An invalid option is nowhere in the source.
  if (first.code === "GC0301") return message;
  return {
    ...message,
    loc: { file: id, line: first.line, column: codeUnitColumn(source, first) },
    frame: formatDiagnostic(first, source).split("\n").slice(1).join("\n"),
  };
}

/** A diagnostic's column (1-based, in characters) as a 0-based column in UTF-16 code units. */
function codeUnitColumn(source: string, d: Diagnostic): number {
  const line = source.replace(/^\uFEFF/, "").split(/\r?\n/)[d.line - 1] ?? "";
  return [...line].slice(0, d.column - 1).join("").length;
}
