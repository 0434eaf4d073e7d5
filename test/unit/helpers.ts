/** Shared test helpers: a minimal valid config and a validation shortcut. */
import { validateStackConfig, type SecretPresence } from "../../components/config/validate";
import type { StackConfig } from "../../components/config/schema";

export const SFS_VOLUME = { name: "sfs-turbo", type: "static", shareId: "share-1", exportLocation: "192.168.0.169:/" };

/** A raw config with one volume and one job; `patch` overrides sections. */
export function rawConfig(patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    storage: { volumes: [SFS_VOLUME] },
    training: { jobs: [{ name: "vcjob", command: "sh run.sh" }] },
    ...patch,
  };
}

export function validConfig(patch: Record<string, unknown> = {}, secrets: SecretPresence = {}): StackConfig {
  const result = validateStackConfig(rawConfig(patch), secrets);
  if (!result.ok) throw new Error(`expected valid config, got: ${JSON.stringify(result.issues, null, 2)}`);
  return result.config;
}

/** The issues of an invalid config (fails the test if the config is valid). */
export function issuesOf(raw: unknown, secrets: SecretPresence = {}) {
  const result = validateStackConfig(raw, secrets);
  if (result.ok) throw new Error("expected validation to fail, but the config is valid");
  return result.issues;
}
