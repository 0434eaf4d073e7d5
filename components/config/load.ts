/** Reads the stack config inside a Pulumi program and validates it before anything is registered. */
import * as pulumi from "@pulumi/pulumi";
import { formatIssues } from "./issues";
import { PROJECT, SECRET_KEYS, type StackConfig } from "./schema";
import { validateStackConfig, type SecretPresence } from "./validate";

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
 * Validates every `ascend-stack:*` key. On any problem throws a RunError listing all of them,
 * so the engine registers nothing (no partial deploys).
 */
export function loadStackConfig(): StackConfig {
  const raw: Record<string, unknown> = {};
  const secrets: SecretPresence = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    const [ns, name] = key.split(/:(.*)/s, 2);
    if (ns !== PROJECT) continue;
    if ((SECRET_KEYS as readonly string[]).includes(name))
      secrets[name as (typeof SECRET_KEYS)[number]] = isConfigSecret(key) ? "secret" : "plaintext";
    else raw[name] = decode(value);
  }
  const result = validateStackConfig(raw, secrets);
  if (!result.ok)
    throw new pulumi.RunError(`invalid stack config (${result.issues.length} problem(s)); nothing was changed:\n${formatIssues(result.issues)}`);
  return result.config;
}
