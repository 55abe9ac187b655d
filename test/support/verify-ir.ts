// A vitest setup file: every program every test compiles is verified after
// each pass (compiler/verify-ir.ts), so a pass that breaks the IR fails loudly.

import { verification } from "../../compiler/verify-ir.js";

verification.enabled = true;
