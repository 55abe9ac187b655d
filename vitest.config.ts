import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Generated code imports "gradc-runtime" (or "gradc/runtime", which re-exports it); tests
    // run it against the runtime's source, one copy shared with the tests' own imports.
    alias: {
      "gradc-runtime": fileURLToPath(new URL("./runtime/index.ts", import.meta.url)),
      "gradc/runtime": fileURLToPath(new URL("./runtime/index.ts", import.meta.url)),
    },
  },
  test: {
    // `npm test` runs the unit project; `npm run test:integration` packs, installs, bundles and
    // opens the web demo in a browser (CI runs both).
    projects: [
      { extends: true, test: { name: "unit", include: ["test/*.test.ts"] } },
      { extends: true, test: { name: "integration", include: ["test/integration/*.test.ts"] } },
    ],
    testTimeout: 60_000,
    // Test files share a worker's module cache: each would otherwise load ts-morph, TypeScript
    // and prettier again. The tests keep no global state.
    isolate: false,
    globalSetup: ["test/support/global-setup.ts"],
    // Every program the tests compile is verified after each pass.
    setupFiles: ["test/support/verify-ir.ts"],
    // Generated modules are plain JavaScript that Node loads itself (see test/support/load.ts).
    server: { deps: { external: [/\/test\/\.generated\//] } },
  },
});
