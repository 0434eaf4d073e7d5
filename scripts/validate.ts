/**
 * Validates stack files without a cluster or the Pulumi engine.
 *   npm run validate -- Pulumi.dev.yaml [Pulumi.prod.yaml ...]
 * Exit 0 when every file is valid, 1 with every problem listed otherwise.
 */
import { formatIssues, type ConfigIssue } from "../components/common/issues";
import { readStackFile } from "../components/config/stackFile";
import { validateStackConfig } from "../components/config/validate";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: npm run validate -- Pulumi.<stack>.yaml [...]");
  process.exit(2);
}
let failed = false;
for (const file of files) {
  let issues: ConfigIssue[];
  try {
    const stackFile = readStackFile(file);
    const result = validateStackConfig(stackFile.raw, stackFile.secrets);
    // A file that is not a stack file has no config to judge: its own problem is the whole story.
    issues = stackFile.issues.some((i) => i.path === "") ? stackFile.issues : [...stackFile.issues, ...(result.ok ? [] : result.issues)];
  } catch (e) {
    console.error(`${file}: cannot read: ${(e as Error).message}`);
    failed = true;
    continue;
  }
  if (issues.length === 0) console.log(`${file}: valid`);
  else {
    failed = true;
    console.error(`${file}: ${issues.length} problem(s):\n${formatIssues(issues)}`);
  }
}
process.exit(failed ? 1 : 0);
