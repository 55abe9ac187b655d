// gradc's plugin for Rollup: `import { lossGrad } from "./model.grad"` compiles model.grad.
import { unplugin } from "./unplugin.js";

export type { GradcPluginOptions } from "./unplugin.js";
export default unplugin.rollup;
