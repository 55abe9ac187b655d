// --inline-runtime: copies the runtime declarations a generated module uses
// (and what they use in turn) into the module, so it stands alone with no
// import. The declarations come from the runtime's own TypeScript sources, so
// an inlined module runs exactly the code the runtime package would.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Node, Project, SyntaxKind, type Statement } from "ts-morph";

/** The runtime files generated code can draw on (gradcheck is for users, not generated code). */
const runtimeFiles = [
  "errors.ts",
  "matrix.ts",
  "checks.ts",
  "kernels.ts",
  "along.ts",
  "linalg.ts",
  "sweeps.ts",
  "workspace.ts",
];

/**
 * Inlined declarations users may want to name: the Matrix type and its constructors (to build
 * arguments), the errors generated code throws, and the Workspace they may pass.
 */
const exportedWhenInlined = new Set([
  "Matrix",
  "vec",
  "mat",
  "matrix",
  "ShapeError",
  "SingularMatrixError",
  "Workspace",
]);

/** Offered by every inlined module, used or not, so its callers need no other import. */
export const offeredWhenInlined = ["vec", "mat", "matrix"] as const;

let sources: Map<string, string> | undefined;

/** The runtime's sources, read once from the runtime package the compiler depends on. */
function runtimeSources(): Map<string, string> {
  if (sources !== undefined) return sources;
  const dir = dirname(createRequire(import.meta.url).resolve("gradc-runtime/package.json"));
  sources = new Map(runtimeFiles.map((file) => [file, readFileSync(join(dir, file), "utf8")]));
  return sources;
}

function declaredNames(statement: Statement): string[] {
  if (Node.isVariableStatement(statement)) return statement.getDeclarations().map((d) => d.getName());
  if (
    Node.isFunctionDeclaration(statement) ||
    Node.isClassDeclaration(statement) ||
    Node.isInterfaceDeclaration(statement) ||
    Node.isTypeAliasDeclaration(statement)
  ) {
    const name = statement.getName();
    return name === undefined ? [] : [name];
  }
  return [];
}

/**
 * Names a declaration mentions that may be other top-level declarations: not
 * property names (`Math.max`), not its own locals and parameters.
 */
function referencedNames(statement: Statement): Set<string> {
  const locals = new Set<string>();
  for (const d of statement.getDescendantsOfKind(SyntaxKind.VariableDeclaration)) locals.add(d.getName());
  for (const p of statement.getDescendantsOfKind(SyntaxKind.Parameter)) locals.add(p.getName());
  for (const b of statement.getDescendantsOfKind(SyntaxKind.BindingElement)) locals.add(b.getName());
  const names = new Set<string>();
  for (const identifier of statement.getDescendantsOfKind(SyntaxKind.Identifier)) {
    const parent = identifier.getParent();
    if (Node.isPropertyAccessExpression(parent) && parent.getNameNode() === identifier) continue;
    if (Node.isPropertyAssignment(parent) && parent.getNameNode() === identifier) continue;
    if (Node.isPropertySignature(parent) || Node.isMethodDeclaration(parent)) continue;
    const name = identifier.getText();
    if (!locals.has(name)) names.add(name);
  }
  return names;
}

/**
 * The source text of the runtime declarations `used` names (runtime export →
 * the local name the module calls it by) and everything they depend on. A
 * declaration whose name is in `taken` (a user's function, say) is renamed.
 */
export function inlineRuntime(used: ReadonlyMap<string, string>, taken: ReadonlySet<string>): string {
  const project = new Project({ useInMemoryFileSystem: true });
  const declarations = new Map<string, Statement>();
  for (const [file, text] of runtimeSources()) {
    const sourceFile = project.createSourceFile(file, text);
    for (const statement of sourceFile.getStatements()) {
      for (const name of declaredNames(statement)) declarations.set(name, statement);
    }
  }

  // Everything the used declarations reach through the names they mention.
  const needed = new Set<string>();
  const visit = (name: string) => {
    const statement = declarations.get(name);
    if (statement === undefined || needed.has(name)) return;
    needed.add(name);
    for (const referenced of referencedNames(statement)) visit(referenced);
  };
  for (const name of used.keys()) visit(name);

  // Rename what the module's own names or aliases take; references follow the rename.
  const finalNames = new Set<string>();
  for (const name of [...needed].sort()) {
    let wanted = used.get(name) ?? name;
    for (let k = 2; taken.has(wanted) || finalNames.has(wanted); k++) wanted = `${name}_${k}`;
    finalNames.add(wanted);
    if (wanted !== name) {
      const statement = declarations.get(name)!;
      const node = Node.isVariableStatement(statement) ? statement.getDeclarations()[0]! : statement;
      if (Node.isRenameable(node)) node.rename(wanted);
    }
  }

  const chosen = [...new Set([...needed].map((name) => declarations.get(name)!))];
  const order = (s: Statement) =>
    [runtimeFiles.indexOf(s.getSourceFile().getBaseName()), s.getPos()] as const;
  chosen.sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1]);
  const texts = chosen.map((statement) => {
    const keepExport = declaredNames(statement).some((n) => exportedWhenInlined.has(n));
    if (!keepExport && Node.isExportable(statement)) statement.setIsExported(false);
    return statement.getText(true);
  });
  return ["// The gradc runtime, as much of it as this module uses (--inline-runtime).", ...texts].join(
    "\n\n",
  );
}
