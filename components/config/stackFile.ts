/**
 * Reads a Pulumi.<stack>.yaml file into the raw config object the validator takes. Anything that
 * would make Pulumi ignore config (a typo'd top-level key, a foreign namespace, `config:` that is
 * not a mapping) or that is not a stack file at all (prose, binary, a list) is a problem, not "valid".
 */
import * as fs from "node:fs";
import { isMap, parseDocument } from "yaml";
import type { ConfigIssue } from "../common/issues";
import { didYouMean } from "./nearMiss";
import { sortConfigKeys } from "./stackKeys";
import type { SecretPresence } from "./validate";

export interface StackFileConfig {
  raw: Record<string, unknown>;
  secrets: SecretPresence;
  /** Keys of the engine's and providers' namespaces (kubernetes:*, ...), ignored by the validator. */
  foreignKeys: string[];
  /** Those keys with their values, as written (for tools that copy a stack's config: render). */
  foreign: Record<string, unknown>;
  /** Problems of the file itself (syntax, top-level keys, namespaces); the validator adds the config's. */
  issues: ConfigIssue[];
}

/** The top-level keys of Pulumi's stack settings file (Pulumi docs, "Stack settings file reference"). */
export const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"] as const;

const isSecure = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && "secure" in v;

const kindOf = (v: unknown) => (Array.isArray(v) ? "a list" : v === null ? "empty" : typeof v === "object" ? "a mapping" : `a ${typeof v}`);

const fail = (path: string, message: string): StackFileConfig => ({
  raw: Object.create(null),
  secrets: {},
  foreignKeys: [],
  foreign: {},
  issues: [{ path, message }],
});

/** Splits `config:` into this project's sections (prefix stripped) and secret presence. */
export function stackConfigFromYaml(text: string): StackFileConfig {
  let doc;
  try {
    doc = parseDocument(text, { uniqueKeys: true });
  } catch (e) {
    // The YAML parser recurses per nesting level; absurd nesting exhausts the stack.
    if (e instanceof RangeError) return fail("", "the file is nested too deeply to be a stack file");
    throw e;
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    if (/Maximum call stack/.test(e.message)) return fail("", "the file is nested too deeply to be a stack file");
    return fail(
      "",
      `not valid YAML: ${e.message.split("\n")[0]}${doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more error(s))` : ""}`,
    );
  }
  if (!isMap(doc.contents))
    return fail(
      "",
      `a stack file must be a YAML mapping with a config: key, but this file is ${doc.contents ? kindOf(doc.toJS()) : "empty"}`,
    );
  let top: Record<string, unknown>;
  try {
    top = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof RangeError) return fail("", "the file is nested too deeply to be a stack file");
    return fail("", `not a usable stack file: ${(e as Error).message.split("\n")[0]}`);
  }
  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(top))
    if (!(STACK_FILE_KEYS as readonly string[]).includes(key))
      issues.push({
        path: key,
        message: `unknown top-level key of a stack file${didYouMean(key, STACK_FILE_KEYS)}; Pulumi knows ${STACK_FILE_KEYS.join(", ")}`,
      });
  const config = Object.prototype.hasOwnProperty.call(top, "config") ? top.config : undefined;
  if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config))) {
    issues.push({ path: "config", message: `config must be a mapping of <namespace>:<key> entries, but it is ${kindOf(config)}` });
    return { raw: Object.create(null), secrets: {}, foreignKeys: [], foreign: {}, issues };
  }
  const entries = Object.entries(config ?? {});
  const sorted = sortConfigKeys(entries, (_key, value) => isSecure(value));
  const foreign = Object.fromEntries(entries.filter(([key]) => sorted.foreignKeys.includes(key)));
  return { raw: sorted.raw, secrets: sorted.secrets, foreignKeys: sorted.foreignKeys, foreign, issues: [...issues, ...sorted.issues] };
}

/** Reads a stack file; bytes that are not UTF-8 are an error, never silently replaced. */
export function readStackFile(file: string): StackFileConfig {
  const bytes = fs.readFileSync(file);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return fail("", "the file is not UTF-8 text (a stack file is YAML in UTF-8)");
  }
  return stackConfigFromYaml(text);
}
