/** Reads the stack config inside a Pulumi program and validates it before anything is registered. */
import * as pulumi from "@pulumi/pulumi";
import { formatIssues } from "../common/issues";
import type { StackConfig } from "./schema";
import { sortConfigKeys } from "./stackKeys";
import { validateStackConfig } from "./validate";

/** The SDK knows which keys were set with --secret; its typings do not export the check. */
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

/** Structured config arrives JSON-encoded; plain strings stay strings. */
function decode(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Validates every `ascend-stack:*` key (and rejects keys of namespaces nothing reads). On any
 * problem throws a RunError listing all of them, so the engine registers nothing (no partial deploys).
 */
export function loadStackConfig(): StackConfig {
  const entries = Object.entries(pulumi.runtime.allConfig()).map(([key, value]): [string, unknown] => [key, decode(value)]);
  const sorted = sortConfigKeys(entries, (key) => isConfigSecret(key));
  const result = validateStackConfig(sorted.raw, sorted.secrets);
  const issues = [...sorted.issues, ...(result.ok ? [] : result.issues)];
  if (issues.length > 0 || !result.ok)
    throw new pulumi.RunError(`invalid stack config (${issues.length} problem(s)); nothing was changed:\n${formatIssues(issues)}`);
  return result.config;
}
