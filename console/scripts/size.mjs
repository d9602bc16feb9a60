// The initial JavaScript a first visit downloads, gzipped: the entry chunk and the chunks it
// imports statically (routes are lazy and not counted). Prints JSON; exits 1 over the budget.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const BUDGET = 200 * 1024;
const dist = process.argv[2] ?? "dist";
const manifest = JSON.parse(readFileSync(join(dist, ".vite", "manifest.json"), "utf8"));
const seen = new Set();
function visit(key) {
  if (seen.has(key)) return;
  seen.add(key);
  for (const next of manifest[key].imports ?? []) visit(next);
}
visit("index.html");
const files = [...seen].map((key) => manifest[key].file);
const gzipped = files.reduce((sum, file) => sum + gzipSync(readFileSync(join(dist, file)), { level: 9 }).length, 0);
console.log(JSON.stringify({ files, gzippedBytes: gzipped, budgetBytes: BUDGET }));
process.exit(gzipped > BUDGET ? 1 : 0);
