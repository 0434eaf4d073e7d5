/**
 * Validates stack files without a cluster or the Pulumi engine.
 *   npm run validate -- Pulumi.dev.yaml [Pulumi.prod.yaml ...]
 * Exit 0 when every file is valid, 1 with every problem listed otherwise.
 */
import { formatIssues } from "../components/config/issues";
import { readStackFile } from "../components/config/stackFile";
import { validateStackConfig } from "../components/config/validate";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: npm run validate -- Pulumi.<stack>.yaml [...]");
  process.exit(2);
}
let failed = false;
for (const file of files) {
  let result;
  try {
    const { raw, secrets } = readStackFile(file);
    result = validateStackConfig(raw, secrets);
  } catch (e) {
    console.error(`${file}: cannot read: ${(e as Error).message}`);
    failed = true;
    continue;
  }
  if (result.ok) console.log(`${file}: valid`);
  else {
    failed = true;
    console.error(`${file}: ${result.issues.length} problem(s):\n${formatIssues(result.issues)}`);
  }
}
process.exit(failed ? 1 : 0);
