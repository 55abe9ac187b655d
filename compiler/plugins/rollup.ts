// gradc's plugin for Rollup: `import { lossGrad } from "./model.grad"` compiles model.grad.

import type { RollupPlugin } from "unplugin";
import { unplugin, type GradcPluginOptions } from "./unplugin.js";

export type { GradcPluginOptions } from "./unplugin.js";

// Typed by name, so the declaration file names the bundler's type.
const plugin: (options?: GradcPluginOptions) => RollupPlugin = unplugin.rollup;
export default plugin;
