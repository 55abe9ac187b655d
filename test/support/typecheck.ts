// Typechecks generated modules under the strict settings the docs promise users, resolving the
// runtime package to its source. The checker runs in the test's own process: TypeScript's
// standard library and the runtime are parsed once per worker and shared by every check, where a
// `tsc` process per check spent most of its time starting and reading them again.

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** Where the checked files appear to live (they are never written). */
const folder = join(root, "test/.generated/typecheck");

const options: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  lib: ["lib.es2022.d.ts"],
  types: [],
  strict: true,
  noUncheckedIndexedAccess: true,
  noUnusedLocals: true,
  noUnusedParameters: true,
  exactOptionalPropertyTypes: true,
  verbatimModuleSyntax: true,
  erasableSyntaxOnly: true,
  noEmit: true,
  paths: {
    "gradc-runtime": [join(root, "runtime/index.ts")],
    "gradc/runtime": [join(root, "runtime/index.ts")],
  },
};

/** Source files that never change during a run (the standard library, the runtime). */
const unchanging = new Map<string, ts.SourceFile>();

/** tsc's report for the given files (name → code); empty when they typecheck. */
export function typecheck(files: Record<string, string>): string {
  const given = new Map(Object.entries(files).map(([name, code]) => [join(folder, name), code]));
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => given.get(name) ?? readFile(name);
  host.fileExists = (name) => given.has(name) || fileExists(name);
  const directoryExists = host.directoryExists?.bind(host);
  host.directoryExists = (name) =>
    folder === name || folder.startsWith(`${name}/`) || (directoryExists?.(name) ?? true);
  host.getSourceFile = (name, language, onError, shouldCreate) => {
    const code = given.get(name);
    if (code !== undefined) return ts.createSourceFile(name, code, language);
    const cached = unchanging.get(name);
    if (cached !== undefined) return cached;
    const file = getSourceFile(name, language, onError, shouldCreate);
    if (file !== undefined) unchanging.set(name, file);
    return file;
  };
  const program = ts.createProgram([...given.keys()], options, host);
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...[...given.keys()].flatMap((name) => {
      const file = program.getSourceFile(name)!;
      return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    }),
  ];
  return ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => dirname(folder),
    getNewLine: () => "\n",
  });
}
