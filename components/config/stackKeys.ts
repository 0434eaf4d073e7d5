/**
 * Sorts a stack's `<namespace>:<key>` config keys into this project's sections and secrets.
 * Shared by the stack-file reader (validate CLI) and the Pulumi program, so both report the same.
 *
 * Namespace rule: only `ascend-stack` is read by this program; `pulumi`, `kubernetes` and `docker`
 * belong to the engine and the two providers it uses. Any other namespace would be silently
 * ignored, so it is an error (with "did you mean ascend-stack?" for a near-miss).
 */
import { shown } from "../common/display";
import type { ConfigIssue } from "../common/issues";
import { didYouMean } from "./nearMiss";
import { PROJECT, SECRET_KEYS } from "./schema";
import type { SecretPresence } from "./validate";

export const FOREIGN_NAMESPACES = ["pulumi", "kubernetes", "docker"] as const;

export interface SortedConfigKeys {
  /** Section → raw value; a null-prototype object, so a key named `__proto__` stays a key. */
  raw: Record<string, unknown>;
  secrets: SecretPresence;
  /** Keys of the engine's and providers' namespaces, not validated here. */
  foreignKeys: string[];
  issues: ConfigIssue[];
}

/**
 * `isSecret(key, value)` says whether a secret key was set with --secret. Keys without a
 * namespace are taken as this project's (Pulumi does the same for project-level keys).
 */
export function sortConfigKeys(entries: Iterable<[string, unknown]>, isSecret: (key: string, value: unknown) => boolean): SortedConfigKeys {
  const raw = Object.create(null) as Record<string, unknown>;
  const secrets: SecretPresence = {};
  const foreignKeys: string[] = [];
  const issues: ConfigIssue[] = [];
  for (const [key, value] of entries) {
    const colon = key.indexOf(":");
    const ns = colon < 0 ? PROJECT : key.slice(0, colon);
    const name = colon < 0 ? key : key.slice(colon + 1);
    if (ns === PROJECT) {
      if ((SECRET_KEYS as readonly string[]).includes(name))
        secrets[name as (typeof SECRET_KEYS)[number]] = isSecret(key, value) ? "secret" : "plaintext";
      else Object.defineProperty(raw, name, { value, enumerable: true, writable: true, configurable: true });
    } else if ((FOREIGN_NAMESPACES as readonly string[]).includes(ns)) foreignKeys.push(key);
    else {
      const hint = didYouMean(ns, [PROJECT]);
      issues.push({
        path: key.length > 80 ? shown(key) : key,
        message: `unknown config namespace ${shown(ns)}${hint}: this program reads only ${PROJECT}:<section> keys (and ${FOREIGN_NAMESPACES.join(", ")} keys belong to the engine and providers), so this key would be ignored`,
      });
    }
  }
  return { raw, secrets, foreignKeys, issues };
}
