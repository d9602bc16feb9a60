// Fails when src/gql/ is not what graphql-codegen makes from ../schema.graphql and the
// documents in src/: generate into a scratch folder and compare file by file.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const committed = "src/gql";
const scratch = mkdtempSync(join(tmpdir(), "console-gql-"));
try {
  execFileSync(process.execPath, ["node_modules/@graphql-codegen/cli/esm/bin.js", "--config", "codegen.ts", "--silent"], {
    env: { ...process.env, CODEGEN_OUT: `${scratch}/` },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const names = new Set([...readdirSync(committed), ...readdirSync(scratch)]);
  const stale = [...names].filter((name) => {
    const read = (dir) => {
      try {
        return readFileSync(join(dir, name), "utf8");
      } catch {
        return null;
      }
    };
    return read(committed) !== read(scratch);
  });
  if (stale.length > 0) {
    console.error(`console/src/gql is stale (${stale.join(", ")}): run \`npm run codegen\` in console/`);
    process.exit(1);
  }
  console.log("console/src/gql is up to date");
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
