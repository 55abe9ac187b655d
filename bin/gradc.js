#!/usr/bin/env node
// The gradc command. All the work is in compiler/cli.ts, built to dist/compiler/cli.js.

// `gradc --help | head` closes the pipe early: that is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

let cli;
try {
  cli = await import("../dist/compiler/cli.js");
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && /dist[\\/]compiler[\\/]cli\.js/.test(String(error.message))) {
    process.stderr.write("gradc: the compiler is not built; run `npm run build` in the gradc package\n");
    process.exit(70);
  }
  throw error;
}
process.exitCode = await cli.main(process.argv.slice(2));
