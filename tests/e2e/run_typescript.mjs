// Transpile a TypeScript module (types stripped, nothing checked) and run it with Node.
// usage: node run_typescript.mjs <typescript package dir> <file.ts> [key=value substitutions as JSON]
import { readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [typescriptDir, source, substitutions = "{}"] = process.argv.slice(2);
const ts = createRequire(import.meta.url)(typescriptDir);
let code = readFileSync(source, "utf8");
for (const [from, to] of Object.entries(JSON.parse(substitutions))) code = code.split(from).join(to);
const { outputText } = ts.transpileModule(code, {
  compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 },
});
const out = join(mkdtempSync(join(tmpdir(), "layers-ts-")), "script.mjs");
writeFileSync(out, outputText);
await import(pathToFileURL(out).href);
