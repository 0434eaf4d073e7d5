/** Reads a Pulumi.<stack>.yaml file into the raw config object the validator takes. */
import * as fs from "node:fs";
import { parse } from "yaml";
import { PROJECT, SECRET_KEYS } from "./schema";
import type { SecretPresence } from "./validate";

export interface StackFileConfig {
  raw: Record<string, unknown>;
  secrets: SecretPresence;
  /** Keys of other namespaces (e.g. kubernetes:*), ignored by the validator. */
  foreignKeys: string[];
}

const isSecure = (v: unknown) => typeof v === "object" && v !== null && "secure" in v;

/** Splits `config:` into this project's sections (prefix stripped) and secret presence. */
export function stackConfigFromYaml(text: string): StackFileConfig {
  const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const config = doc.config ?? {};
  const raw: Record<string, unknown> = {};
  const secrets: SecretPresence = {};
  const foreignKeys: string[] = [];
  for (const [key, value] of Object.entries(config)) {
    const [ns, name] = key.includes(":") ? key.split(/:(.*)/s, 2) : [PROJECT, key];
    if (ns !== PROJECT) {
      foreignKeys.push(key);
      continue;
    }
    if ((SECRET_KEYS as readonly string[]).includes(name)) secrets[name as (typeof SECRET_KEYS)[number]] = isSecure(value) ? "secret" : "plaintext";
    else raw[name] = value;
  }
  return { raw, secrets, foreignKeys };
}

export function readStackFile(file: string): StackFileConfig {
  return stackConfigFromYaml(fs.readFileSync(file, "utf8"));
}
