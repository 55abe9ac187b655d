// The web demo (examples/web): built with Vite, served, and opened in a headless Chromium. The
// page must load without errors, train (the loss it shows falls), and show the derivation
// typeset by KaTeX and the generated code. A screenshot is saved to test/artifacts/web-demo.png.
//
// Needs a Chromium: /usr/bin/chromium (Debian's `apt-get install chromium`), or the path in
// CHROMIUM_PATH. Without one the test is skipped, with a warning.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../../compiler/index.js";
import { declarationOf } from "../../examples/web/vite.config.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const web = join(root, "examples/web");
const dist = join(web, "dist");

const chromiumPath = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (path) => path !== undefined && path !== "" && existsSync(path),
);
if (chromiumPath === undefined) {
  console.warn(
    "\n*** test/integration/web.test.ts: SKIPPED, no Chromium found (looked for $CHROMIUM_PATH, /usr/bin/chromium, " +
      "/usr/bin/chromium-browser). Install it with `apt-get install chromium` to test the web demo. ***\n",
  );
}

const types: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".woff2": "font/woff2",
  ".woff": "font/woff",
  ".ttf": "font/ttf",
};

/** Serves examples/web/dist on a free port of localhost. */
function serve(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? "/", "http://x").pathname));
    const file = join(dist, path.endsWith("/") ? `${path}index.html` : path);
    if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream" });
    response.end(readFileSync(file));
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      resolve({ server, url: `http://127.0.0.1:${port}/` });
    });
  });
}

const lossShown = async (page: Page): Promise<number> => Number(await page.textContent("#loss"));

describe("web demo", () => {
  it("classifier.d.grad.ts declares what gradc generates for classifier.grad (run `npx vite examples/web` to update it)", async () => {
    const source = readFileSync(join(web, "classifier.grad"), "utf8");
    const { code } = await compile(source, { filename: "classifier.grad", modes: ["grad"] });
    expect(readFileSync(join(web, "classifier.d.grad.ts"), "utf8")).toBe(await declarationOf(code!));
  });

  describe.skipIf(chromiumPath === undefined)("in Chromium", () => {
    let server: Server | undefined;
    let context: BrowserContext | undefined;
    let profile: string | undefined;
    let page: Page;
    const errors: string[] = [];

    beforeAll(async () => {
      profile = mkdtempSync(join(tmpdir(), "gradc-web-test-"));
      // Chromium starts while Vite builds the page.
      const launched = chromium.launchPersistentContext(profile, {
        executablePath: chromiumPath!,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--no-first-run",
          "--disable-quic",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
        viewport: { width: 1400, height: 940 },
      });
      try {
        await build({ configFile: join(web, "vite.config.ts"), logLevel: "error" });
      } finally {
        context = await launched;
      }
      const served = await serve();
      server = served.server;
      page = context.pages()[0] ?? (await context.newPage());
      page.on("console", (message) => {
        if (message.type() === "error") errors.push(`console: ${message.text()}`);
      });
      page.on("pageerror", (error) => errors.push(`page: ${error.message}`));
      await page.goto(served.url);
    }, 30_000);

    afterAll(async () => {
      await context?.close();
      server?.close();
      if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    });

    it("trains: the loss shown falls", async () => {
      await page.waitForFunction("Number(document.querySelector('#loss').textContent) > 0", undefined, {
        timeout: 5_000,
      });
      // Training starts at once; pause it and start again from fresh weights to read the loss
      // before any step.
      await page.click("#pause");
      await page.click("#reset");
      await page.waitForFunction("document.querySelector('#step').textContent === '0'", undefined, {
        timeout: 2_000,
      });
      const first = await lossShown(page);
      // A network that knows next to nothing gives each class a probability near 1/2: a loss near log 2.
      expect(first).toBeGreaterThan(0.4);
      await page.click("#pause");
      await page.waitForFunction(
        `Number(document.querySelector('#loss').textContent) < ${first / 3}`,
        undefined,
        { timeout: 10_000, polling: 50 },
      );
      expect(await lossShown(page)).toBeLessThan(first / 3);
      expect(Number((await page.textContent("#step"))!.replace(/,/g, ""))).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    }, 20_000);

    it("shows the derivation typeset by KaTeX and the generated code", async () => {
      // The four steps: variables in a table, local derivatives and chain rule in lists, and
      // one display formula per parameter (W1, b1, w2, b2).
      expect(await page.locator("#derivation table .katex").count()).toBeGreaterThan(10);
      expect(await page.locator("#derivation li .katex").count()).toBeGreaterThan(10);
      expect(await page.locator("#derivation .katex-display").count()).toBe(4);
      expect(await page.locator("#derivation .katex-error").count()).toBe(0);
      const code = (await page.textContent("#code"))!;
      expect(code).toContain("// Code generated by gradc from classifier.grad. DO NOT EDIT.");
      expect(code).toContain("export function lossGrad(");
      expect(await page.textContent("#source")).toContain("fn loss(");

      mkdirSync(join(root, "test/artifacts"), { recursive: true });
      await page.evaluate("window.scrollTo(0, 0)");
      await page.screenshot({ path: join(root, "test/artifacts/web-demo.png"), fullPage: true });
      expect(errors).toEqual([]);
    });
  });
});
