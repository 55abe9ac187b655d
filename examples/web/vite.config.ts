// The web demo's build. `npx vite examples/web` serves it with hot reload, `npx vite build
// examples/web` writes examples/web/dist.
//
// - `.grad` imports are compiled by gradc's Vite plugin, `gradc/vite`.
// - `virtual:gradc-showcase` gives the page what it shows beside the training: the model's
//   source, the TypeScript gradc generates for it and the derivation `gradc explain` prints,
//   typeset with KaTeX here, at build time (the page loads KaTeX's stylesheet, not its code).
// - Generated code imports the runtime by its package name; inside this repository that is the
//   runtime's sources, whichever of its two names (`gradc-runtime`, `gradc/runtime`) is used.

import { readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import katex from "katex";
import { defineConfig, type Plugin } from "vite";
import { compile, declarationsOf, explain, formatDiagnostic, formatEmitted, type Mode } from "gradc";
import gradc from "gradc/vite";

const here = fileURLToPath(new URL(".", import.meta.url));
const runtime = fileURLToPath(new URL("../../runtime/index.ts", import.meta.url));

/** The model the page trains, and what it needs generated. */
const model = join(here, "classifier.grad");
const modes: Mode[] = ["grad"];

export default defineConfig({
  root: here,
  base: "./",
  resolve: { alias: { "gradc-runtime": runtime, "gradc/runtime": runtime } },
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1000 },
  plugins: [gradc({ modes }), showcase(model, "loss")],
});

const showcaseId = "virtual:gradc-showcase";

/**
 * `virtual:gradc-showcase`: the model's source, its generated code and the derivation of `fn`'s
 * gradient, as HTML. It is rebuilt when the model changes (in `vite` dev, the page updates in
 * place). The dev server also keeps the model's declaration file (`classifier.d.grad.ts`, which
 * types the page's import of the model) current.
 */
function showcase(path: string, fn: string): Plugin {
  let serving = false;
  return {
    name: "gradc-showcase",
    configResolved(config) {
      serving = config.command === "serve";
    },
    resolveId(id) {
      return id === showcaseId ? `\0${showcaseId}` : null;
    },
    async load(id) {
      if (id !== `\0${showcaseId}`) return null;
      this.addWatchFile(path);
      const source = readFileSync(path, "utf8");
      const filename = basename(path);
      const compiled = await compile(source, { filename, modes });
      const explained = await explain(source, { filename, fn, format: "md" });
      if (compiled.code === undefined) this.error(report(compiled.diagnostics, source));
      if (explained.text === undefined) this.error(report(explained.diagnostics, source));
      const declaration = await declarationOf(compiled.code);
      const declarationPath = path.replace(/\.grad$/, ".d.grad.ts");
      if (read(declarationPath) !== declaration) {
        if (serving) writeFileSync(declarationPath, declaration);
        else this.warn(`${basename(declarationPath)} is out of date: run the dev server once to update it`);
      }
      const exports = {
        filename,
        sourceHtml: highlightGrad(source),
        codeHtml: highlightTypeScript(compiled.code),
        codeLines: compiled.code.split("\n").length - 1,
        derivationHtml: markdownToHtml(explained.text),
      };
      return Object.entries(exports)
        .map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};\n`)
        .join("");
    },
  };
}

function report(diagnostics: readonly Parameters<typeof formatDiagnostic>[0][], source: string): string {
  return diagnostics.map((d) => formatDiagnostic(d, source)).join("\n");
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/**
 * The declaration file of a generated module (its exports' types, doc comments included): what
 * `gradc compile classifier.grad --modes grad --dts` writes.
 */
export async function declarationOf(code: string): Promise<string> {
  const header = code.slice(0, code.indexOf("\n") + 1);
  return header + (await formatEmitted(declarationsOf(code, "classifier.grad.ts")));
}

// --- Markdown with LaTeX, as `gradc explain` prints it, to HTML -------------------------------

const escapeHtml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

const math = (latex: string, displayMode: boolean): string =>
  katex.renderToString(latex, { displayMode, throwOnError: true, strict: "ignore" });

/** Inline Markdown: `code`, $math$ and **bold**. */
function inline(text: string): string {
  return text.replace(
    /`([^`]*)`|\$([^$]+)\$|\*\*([^*]+)\*\*|([^`$*]+|[`$*])/g,
    (_, code, tex, bold, plain) => {
      if (code !== undefined) return `<code>${escapeHtml(code)}</code>`;
      if (tex !== undefined) return math(tex, false);
      if (bold !== undefined) return `<strong>${inline(bold)}</strong>`;
      return escapeHtml(plain);
    },
  );
}

/** The Markdown `gradc explain` writes: headings, paragraphs, tables, lists and $$ blocks. */
export function markdownToHtml(markdown: string): string {
  const lines = markdown.split("\n");
  const html: string[] = [];
  for (let i = 0; i < lines.length;) {
    const line = lines[i]!;
    if (line.trim() === "") {
      i++;
    } else if (line.startsWith("#")) {
      const level = Math.min(6, line.match(/^#+/)![0].length + 1);
      html.push(`<h${level}>${inline(line.replace(/^#+\s*/, ""))}</h${level}>`);
      i++;
    } else if (line.trim() === "$$") {
      const end = lines.indexOf("$$", i + 1);
      html.push(`<div class="display">${math(lines.slice(i + 1, end).join("\n"), true)}</div>`);
      i = end + 1;
    } else if (line.startsWith("|")) {
      const rows: string[][] = [];
      for (; lines[i]?.startsWith("|"); i++) {
        rows.push(lines[i]!.replace(/^\|\s*|\s*\|$/g, "").split(/\s+\|\s+/));
      }
      const [head = [], , ...body] = rows;
      // The last column (the source line) carries its whole text as a title: the page may cut it.
      const cells = (row: string[], tag: string) =>
        row
          .map((c, k) => {
            const title = k === row.length - 1 ? ` title="${escapeHtml(c.replace(/`/g, ""))}"` : "";
            return `<${tag}${title}>${inline(c)}</${tag}>`;
          })
          .join("");
      html.push(
        `<div class="table"><table><thead><tr>${cells(head, "th")}</tr></thead><tbody>` +
          body.map((row) => `<tr>${cells(row, "td")}</tr>`).join("") +
          `</tbody></table></div>`,
      );
    } else if (line.startsWith("- ")) {
      const items: string[] = [];
      for (; lines[i]?.startsWith("- "); i++) items.push(`<li>${inline(lines[i]!.slice(2))}</li>`);
      html.push(`<ul>${items.join("")}</ul>`);
    } else {
      const paragraph: string[] = [];
      for (; lines[i] !== undefined && lines[i]!.trim() !== "" && !/^(#|\||- |\$\$)/.test(lines[i]!); i++) {
        paragraph.push(lines[i]!);
      }
      html.push(`<p>${inline(paragraph.join(" "))}</p>`);
    }
  }
  return html.join("\n");
}

// --- Syntax highlighting, for the two code panels -----------------------------------------------

function highlight(code: string, pattern: RegExp, classes: readonly string[]): string {
  return code.replace(pattern, (...groups: (string | undefined)[]) => {
    const index = groups.slice(1, classes.length + 1).findIndex((g) => g !== undefined);
    const text = escapeHtml(groups[0]!);
    return index < 0 || classes[index] === "" ? text : `<span class="${classes[index]}">${text}</span>`;
  });
}

const tsKeywords =
  "as|break|const|continue|declare|else|export|for|from|function|if|import|interface|let|new|of|readonly|return|throw|type|typeof|undefined|while";

export function highlightTypeScript(code: string): string {
  return highlight(
    code,
    new RegExp(
      String.raw`(\/\/[^\n]*|\/\*[\s\S]*?\*\/)|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|` +
        "`(?:[^`\\\\]|\\\\.)*`" +
        String.raw`)|\b(${tsKeywords})\b|\b(number|Float64Array|Matrix|Workspace|Math)\b|(\b\d[\d.e_]*\b)|([\s\S])`,
      "g",
    ),
    ["comment", "string", "keyword", "type", "number", ""],
  );
}

export function highlightGrad(source: string): string {
  return highlight(source, /(#[^\n]*)|\b(fn|wrt|return)\b|\b(real)\b|(\b\d[\d.]*\b)|([\s\S])/g, [
    "comment",
    "keyword",
    "type",
    "number",
    "",
  ]);
}
