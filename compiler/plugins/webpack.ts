// gradc's plugin for webpack: `import { lossGrad } from "./model.grad"` compiles model.grad.

import type { WebpackPluginInstance } from "unplugin";
import { unplugin, type GradcPluginOptions } from "./unplugin.js";

export type { GradcPluginOptions } from "./unplugin.js";

// Typed by name, so the declaration file names the bundler's type.
const plugin: (options?: GradcPluginOptions) => WebpackPluginInstance = unplugin.webpack;
export default plugin;
