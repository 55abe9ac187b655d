// gradc's plugin for webpack: `import { lossGrad } from "./model.grad"` compiles model.grad.
import { unplugin } from "./unplugin.js";

export type { GradcPluginOptions } from "./unplugin.js";
export default unplugin.webpack;
