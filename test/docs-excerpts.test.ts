// The docs' excerpts of generated code are checked against what the compiler
// generates, so they cannot go stale. In docs/*.md and README.md, a fenced
// block right after a marker
//
//   <!-- gradc: FILE [--modes LIST] [--no-checks] -->
//
// is an excerpt of the output for FILE: every non-blank line of the block must
// appear in the output, in order (an excerpt may leave lines out; a line `...`
// stands for the ones left out). FILE is a path in the repository, or the name
// of a .grad source given earlier in the same document by a fenced block right
// after `<!-- gradc-source: NAME -->`.

import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileOrThrow } from "./support/load.js";
import type { Mode } from "../compiler/index.js";
import { builtinNames, builtinOf } from "../compiler/builtins.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const documents = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

interface Excerpt {
  readonly document: string;
  readonly line: number;
  readonly file: string;
  readonly source: string;
  readonly modes: Mode[] | undefined;
  readonly checks: boolean;
  readonly text: string;
}

/** The fenced block that starts at or after line `at`: its text. */
function blockAfter(lines: readonly string[], at: number): string {
  let start = at;
  while (start < lines.length && !lines[start]!.startsWith("```")) start++;
  let end = start + 1;
  while (end < lines.length && !lines[end]!.startsWith("```")) end++;
  return lines.slice(start + 1, end).join("\n");
}

function excerptsOf(document: string): Excerpt[] {
  const lines = readFileSync(join(root, document), "utf8").split("\n");
  const sources = new Map<string, string>();
  const excerpts: Excerpt[] = [];
  lines.forEach((line, k) => {
    const named = /^<!-- gradc-source: (\S+) -->$/.exec(line);
    if (named !== null) sources.set(named[1]!, blockAfter(lines, k + 1));
    const marker = /^<!-- gradc: (.+) -->$/.exec(line);
    if (marker === null) return;
    const [file, ...flags] = marker[1]!.trim().split(/\s+/);
    const modesAt = flags.indexOf("--modes");
    excerpts.push({
      document,
      line: k + 1,
      file: file!,
      source: sources.get(file!) ?? readFileSync(join(root, file!), "utf8"),
      modes: modesAt < 0 ? undefined : (flags[modesAt + 1]!.split(",") as Mode[]),
      checks: !flags.includes("--no-checks"),
      text: blockAfter(lines, k + 1),
    });
  });
  return excerpts;
}

const excerpts = documents.flatMap(excerptsOf);

describe("the docs' excerpts of generated code", () => {
  it("there are excerpts to check", () => {
    expect(excerpts.length).toBeGreaterThanOrEqual(10);
  });

  it.each(excerpts.map((e) => [`${e.document}:${e.line} (${e.file})`, e] as const))("%s", async (_, e) => {
    const code = await compileOrThrow(e.source, {
      format: true,
      filename: basename(e.file),
      ...(e.modes === undefined ? {} : { modes: e.modes }),
      checks: e.checks,
    });
    const output = code.split("\n");
    let at = 0;
    for (const line of e.text.split("\n")) {
      if (line.trim() === "" || line.trim() === "...") continue;
      const found = output.indexOf(line, at);
      if (found < 0) {
        const shown = output.findIndex((o) => o === line);
        throw new Error(
          `${e.document}:${e.line}: the line\n  ${line}\n${
            shown < 0 ? "is not in the output" : `is in the output only earlier (line ${shown + 1})`
          } of gradc compile ${e.file}:\n${code}`,
        );
      }
      at = found + 1;
    }
  });
});

describe("the language reference", () => {
  const reference = readFileSync(join(root, "docs/language.md"), "utf8");
  it.each([...builtinNames].map((name) => [name] as const))("documents %s", (name) => {
    expect(builtinOf(name)!.doc.length).toBeGreaterThan(0);
    // A table row or a bullet that names it as code: `name(` or `name`.
    expect(reference).toMatch(new RegExp("`" + name + "[`(]"));
  });
});
