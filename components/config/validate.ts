/**
 * Validates a whole stack config and reports every problem at once, each with its config path
 * and the rule. Pure: testable without Pulumi, used by the program before any resource exists
 * and by `npm run validate` without a cluster or engine.
 */
import { z } from "zod";
import { inferenceRules } from "../inference/rules";
import { formatPath, type ConfigIssue, type Path } from "./issues";
import { clusterRules, imageRules, storageRules, trainingRules } from "./rules";
import { SECRET_KEYS, stackConfigSchema, type StackConfig } from "./schema";

export type ValidationResult = { ok: true; config: StackConfig } | { ok: false; issues: ConfigIssue[] };

/** How each secret key is present in the stack: set as a Pulumi secret, set in plaintext, or absent. */
export type SecretPresence = Partial<Record<(typeof SECRET_KEYS)[number], "secret" | "plaintext">>;

type Section = keyof typeof stackConfigSchema.shape;
const SECTIONS = Object.keys(stackConfigSchema.shape) as Section[];

function zodIssues(error: z.ZodError, prefix: Path = []): ConfigIssue[] {
  return error.issues.flatMap((issue) => {
    // A union reports one issue per branch; show the branch errors instead of "Invalid input".
    if (issue.code === "invalid_union") return issue.unionErrors.flatMap((e) => zodIssues(e, prefix)).slice(0, 3);
    if (issue.code === "unrecognized_keys")
      return issue.keys.map((k) => ({ path: formatPath([...prefix, ...issue.path, k]), message: "unknown key (check the spelling against the config reference)" }));
    return [{ path: formatPath([...prefix, ...issue.path]), message: issue.message }];
  });
}

const RULES = [clusterRules, storageRules, imageRules, trainingRules, inferenceRules];

/**
 * Validates `raw` (the stack's config keys without the project prefix). Sections that fail
 * their schema are replaced by defaults so cross-field rules still run on the others; rule
 * issues inside a failed section are dropped as noise.
 */
export function validateStackConfig(raw: unknown, secrets: SecretPresence = {}): ValidationResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { ok: false, issues: [{ path: "", message: "the stack config must be a mapping of ascend-stack:<section> keys" }] };
  const input = { ...(raw as Record<string, unknown>) };
  for (const key of SECRET_KEYS) delete input[key];

  const issues: ConfigIssue[] = [];
  const failed = new Set<string>();
  const parsed: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    if (!(SECTIONS as string[]).includes(key)) {
      issues.push({ path: key, message: `unknown config key; known keys are ${[...SECTIONS, ...SECRET_KEYS].join(", ")}` });
    }
  }
  for (const section of SECTIONS) {
    const result = stackConfigSchema.shape[section].safeParse(input[section]);
    if (result.success) parsed[section] = result.data;
    else {
      failed.add(section);
      issues.push(...zodIssues(result.error, [section]));
      parsed[section] = stackConfigSchema.shape[section].safeParse(undefined).data;
    }
  }
  const config = parsed as StackConfig;

  const ruleIssues: ConfigIssue[] = [];
  const report = (path: Path, message: string) => ruleIssues.push({ path: formatPath(path), message });
  for (const rule of RULES) rule(config, report, failed);
  if (config.registry && !secrets.registryPassword)
    report(["registryPassword"], "is required with registry: set it with `pulumi config set --secret registryPassword <password>`");
  if (secrets.registryPassword === "plaintext")
    report(["registryPassword"], "must be a secret: set it with `pulumi config set --secret registryPassword <password>`");
  issues.push(...ruleIssues.filter((i) => !failed.has(i.path.split(/[.[]/)[0])));

  return issues.length === 0 ? { ok: true, config } : { ok: false, issues };
}
