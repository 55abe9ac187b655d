// Formatting of generated code with prettier. Emission already prints in prettier's style —
// indentation, blank lines, parentheses (ts-syntax.ts), number literals — except that it never
// breaks a line. So prettier formats only the statements that are too long, each on its own,
// instead of the whole module: it formats about 120 KB a second, and a large model's module
// is megabytes. The test suite checks that the result is the one prettier gives for the whole
// module; a line that cannot be placed on its own falls back to formatting the whole module.

export const printWidth = 100;

const options = { parser: "typescript", printWidth } as const;

type Prettier = typeof import("prettier");

/** `text` as prettier formats it; `whole` formats the module in one piece (slower, same result). */
export async function formatModule(text: string, whole = false): Promise<string> {
  const prettier = await import("prettier");
  if (whole) return prettier.format(text, options);
  const lines = text.trimEnd().split("\n");
  const result: string[] = [];
  for (const line of lines) {
    if (!mayBeTooWide(line) || isComment(line)) {
      result.push(line);
      continue;
    }
    const formatted = await formatLine(prettier, line);
    if (formatted === undefined) return prettier.format(text, options);
    result.push(...formatted);
  }
  return `${result.join("\n")}\n`;
}

/**
 * Whether prettier may find the line wider than the print width. It counts wide characters (CJK,
 * emoji) as two columns; counting every non-ASCII character as two can only send a line that fits
 * to prettier, which leaves it as it is.
 */
function mayBeTooWide(line: string): boolean {
  if (line.length > printWidth) return true;
  const nonAscii = line.match(/[^\x00-\x7f]/gu)?.length ?? 0;
  return line.length + nonAscii > printWidth;
}

function isComment(line: string): boolean {
  const trimmed = line.trimStart();
  return trimmed.startsWith("//") || trimmed.startsWith("/*") || trimmed.startsWith("*");
}

/**
 * One over-long line, formatted as prettier formats it in place: a statement (or the head of a
 * block, `... {`) at its indentation. Undefined when the line is not one of those.
 */
async function formatLine(prettier: Prettier, line: string): Promise<string[] | undefined> {
  const indent = line.length - line.trimStart().length;
  const content = line.trim();
  const opensBlock = content.endsWith("{");
  if (content.startsWith("}")) return undefined;
  // Nested statements are formatted inside a function, so `return` parses and the width
  // left for the statement is the width it has in place.
  const depth = indent / 2;
  if (!Number.isInteger(depth)) return undefined;
  const statement = opensBlock ? `${content}}` : content;
  const wrapped = depth === 0 ? statement : `function _() {\n${statement}\n}`;
  let output: string;
  try {
    output = await prettier.format(wrapped, {
      ...options,
      printWidth: printWidth - indent + (depth === 0 ? 0 : 2),
    });
  } catch {
    return undefined;
  }
  let formatted = output.trimEnd().split("\n");
  if (depth > 0) formatted = formatted.slice(1, -1).map((l) => l.slice(2));
  if (opensBlock) {
    const last = formatted[formatted.length - 1]!;
    if (!last.endsWith("{}")) return undefined;
    formatted[formatted.length - 1] = last.slice(0, -1);
  }
  const pad = " ".repeat(indent);
  return formatted.map((l) => (l === "" ? l : pad + l));
}
