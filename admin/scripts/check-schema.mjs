// Fails when src/api/schema.d.ts is not what openapi-typescript makes of docs/openapi.json,
// i.e. when the API changed and `npm run generate` (or `make openapi`) was not run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export function schemaDrift() {
  const dir = mkdtempSync(join(tmpdir(), "nija-admin-schema-"));
  try {
    const fresh = join(dir, "schema.d.ts");
    execFileSync(
      join(root, "node_modules", ".bin", "openapi-typescript"),
      [join(root, "..", "docs", "openapi.json"), "-o", fresh],
      { stdio: "pipe" },
    );
    const committed = readFileSync(join(root, "src", "api", "schema.d.ts"), "utf8");
    return readFileSync(fresh, "utf8") === committed ? null : "src/api/schema.d.ts is stale";
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const drift = schemaDrift();
  if (drift) {
    console.error(`${drift}: run \`npm run generate\` in admin/ (or \`make openapi\`)`);
    process.exit(1);
  }
  console.log("src/api/schema.d.ts matches docs/openapi.json");
}
