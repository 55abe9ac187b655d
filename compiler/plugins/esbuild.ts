// gradc's plugin for esbuild: `import { lossGrad } from "./model.grad"` compiles model.grad.

import { readFileSync } from "node:fs";
import type { PartialMessage, Plugin, PluginBuild } from "esbuild";
import { unplugin, type GradcPluginOptions } from "./unplugin.js";

export type { GradcPluginOptions } from "./unplugin.js";

/**
 * The unplugin's esbuild plugin, with the source line of each error and warning filled in:
 * unplugin passes a location's file, line and column only, and esbuild would show an empty line
 * under them. esbuild also counts columns in UTF-8 bytes, not UTF-16 code units.
 */
export default function gradc(options?: GradcPluginOptions): Plugin {
  const plugin = unplugin.esbuild(options);
  return {
    ...plugin,
    setup: (build) => plugin.setup({ ...build, onLoad: withSourceLines(build) }),
  };
}

function withSourceLines(build: PluginBuild): PluginBuild["onLoad"] {
  return (filter, callback) =>
    build.onLoad(filter, async (args) => {
      const result = await callback(args);
      if (result === null || result === undefined) return result;
      const { errors = [], warnings = [] } = result;
      return { ...result, errors: errors.map(withSourceLine), warnings: warnings.map(withSourceLine) };
    });
}

function withSourceLine(message: PartialMessage): PartialMessage {
  const location = message.location;
  if (!location?.file || location.lineText || location.line === undefined) return message;
  const lineText = readLine(location.file, location.line);
  if (lineText === undefined) return message;
  const column = Buffer.byteLength(lineText.slice(0, location.column ?? 0));
  return { ...message, location: { ...location, lineText, column } };
}

function readLine(file: string, line: number): string | undefined {
  try {
    return readFileSync(file, "utf8")
      .replace(/^\uFEFF/, "")
      .split(/\r?\n/)[line - 1];
  } catch {
    return undefined;
  }
}
