// gradc's plugin for Vite: `import { lossGrad } from "./model.grad"` compiles model.grad.

import type { VitePlugin } from "unplugin";
import { unplugin, type GradcPluginOptions } from "./unplugin.js";

export type { GradcPluginOptions } from "./unplugin.js";

// Typed by name, so the declaration file names the bundler's type.
const plugin: (options?: GradcPluginOptions) => VitePlugin = unplugin.vite;
export default plugin;
