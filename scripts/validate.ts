/**
 * Validates stack files without the Pulumi engine.
 *   npm run validate -- [--cluster] Pulumi.dev.yaml [Pulumi.prod.yaml ...]
 * --cluster: for each valid file, also runs the preflight checks against the cluster its
 * ascend-stack:cluster section names (docs/preflight.md), whatever cluster.preflight says.
 * Exit 0 when every file is valid (and, with --cluster, no check found an error), 1 otherwise.
 */
import { formatIssues, type ConfigIssue } from "../components/common/issues";
import type { StackConfig } from "../components/config/schema";
import { readStackFile } from "../components/config/stackFile";
import { validateStackConfig } from "../components/config/validate";
import { errorsOf, formatFindings } from "../components/preflight/findings";
import { runPreflight } from "../components/preflight/run";

const args = process.argv.slice(2);
const withCluster = args.includes("--cluster");
const files = args.filter((a) => a !== "--cluster");
if (files.length === 0 || files.some((f) => f.startsWith("--"))) {
  console.error("usage: npm run validate -- [--cluster] Pulumi.<stack>.yaml [...]");
  process.exit(2);
}

/** The file's problems, and its config when it has none. */
function validateFile(file: string): { issues: ConfigIssue[]; config?: StackConfig } {
  const stackFile = readStackFile(file);
  const result = validateStackConfig(stackFile.raw, stackFile.secrets);
  // A file that is not a stack file has no config to judge: its own problem is the whole story.
  if (stackFile.issues.some((i) => i.path === "")) return { issues: stackFile.issues };
  const issues = [...stackFile.issues, ...(result.ok ? [] : result.issues)];
  return { issues, config: result.ok && issues.length === 0 ? result.config : undefined };
}

async function main(): Promise<boolean> {
  let ok = true;
  for (const file of files) {
    let checked: ReturnType<typeof validateFile>;
    try {
      checked = validateFile(file);
    } catch (e) {
      console.error(`${file}: cannot read: ${(e as Error).message}`);
      ok = false;
      continue;
    }
    if (!checked.config) {
      ok = false;
      console.error(`${file}: ${checked.issues.length} problem(s):\n${formatIssues(checked.issues)}`);
      continue;
    }
    if (!withCluster) {
      console.log(`${file}: valid`);
      continue;
    }
    if (checked.config.cluster.renderYamlToDirectory) {
      console.log(`${file}: valid (renders manifests: no cluster to check)`);
      continue;
    }
    const findings = await runPreflight(checked.config);
    const errors = errorsOf(findings).length;
    if (errors > 0) ok = false;
    const summary =
      findings.length === 0 ? "the cluster passes every preflight check" : `${errors} error(s), ${findings.length - errors} warning(s)`;
    (errors > 0 ? console.error : console.log)(
      `${file}: valid; preflight: ${summary}${findings.length ? `:\n${formatFindings(findings)}` : ""}`,
    );
  }
  return ok;
}

main().then(
  (ok) => process.exit(ok ? 0 : 1),
  (e) => {
    console.error(`validate: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
