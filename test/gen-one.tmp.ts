import { randomProgram } from "./support/random-programs.js";
for (const s of process.argv.slice(2)) console.log(`# seed ${s}\n` + randomProgram(Number(s)).source);
