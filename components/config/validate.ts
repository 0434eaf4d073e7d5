/**
 * Validates a whole stack config and reports every problem at once, each with its config path
 * and the rule. Pure: testable without Pulumi, used by the program before any resource exists
 * and by `npm run validate` without a cluster or engine.
 */
import { clusterRules } from "../cluster/rules";
import { acceleratorSchemaOf } from "../common/accelerator";
import type { ClusterConfig } from "../cluster/config";
import { formatPath, type ConfigIssue, type FailedSections, type Path, type Report } from "../common/issues";
import { imageRules } from "../images/rules";
import { inferenceRules } from "../inference/rules";
import { resolveInference } from "../inference/topology";
import { storageRules } from "../storage/rules";
import { trainingRules } from "../training/rules";
import { kubeValueRules } from "./kubeValueRules";
import { profileRules } from "./profileRules";
import { didYouMean } from "./nearMiss";
import { objectSizeRules } from "./objectSize";
import { rawLimitIssues } from "./rawLimits";
import { isInside, salvageSection } from "./salvage";
import { SECRET_KEYS, stackConfigSchema, type StackConfig } from "./schema";
import { zodIssues } from "./zodIssues";

export type ValidationResult = { ok: true; config: StackConfig } | { ok: false; issues: ConfigIssue[] };

/** How each secret key is present in the stack: set as a Pulumi secret, set in plaintext, or absent. */
export type SecretPresence = Partial<Record<(typeof SECRET_KEYS)[number], "secret" | "plaintext">>;

type Section = keyof typeof stackConfigSchema.shape;
const SECTIONS = Object.keys(stackConfigSchema.shape) as Section[];
const KNOWN_KEYS = [...SECTIONS, ...SECRET_KEYS];

/**
 * Every cross-field rule, each given only the sections it reads. A section that failed its schema
 * is passed as undefined where a rule would otherwise judge against its defaults.
 */
function runRules(c: StackConfig, failed: FailedSections, report: Report): void {
  const accelerator = failed.has("accelerator") ? undefined : c.accelerator;
  const volumeNames = failed.has("storage") ? undefined : c.storage.volumes.map((v) => v.name);
  clusterRules(c.cluster, report);
  kubeValueRules(c, report);
  profileRules({ config: c, acceleratorValid: accelerator !== undefined, storageValid: volumeNames !== undefined }, report);
  storageRules(c.storage, report);
  imageRules(c.images, c.registry, report);
  trainingRules(
    {
      training: c.training,
      accelerator,
      volumeNames,
      hasDefaultImage: c.images.build.enabled || !!c.images.base,
      profile: c.cluster.profile,
    },
    report,
  );
  // Placement and ports are resolved once, for the inference rules and the object sizes alike.
  const resolved = accelerator ? resolveInference({ inference: c.inference, accelerator }) : undefined;
  inferenceRules({ inference: c.inference, accelerator, volumeNames, resolved }, report);
  objectSizeRules(c, resolved, report);
}

/** No message may echo a huge value; the rules quote values shortened, this is the backstop. */
const MAX_MESSAGE = 600;
const clamp = (i: ConfigIssue): ConfigIssue =>
  i.message.length > MAX_MESSAGE ? { ...i, message: `${i.message.slice(0, MAX_MESSAGE)}…` } : i;

/**
 * Validates `raw` (the stack's config keys without the project prefix). A section that fails its
 * schema is parsed as far as possible (see salvage.ts) so cross-field rules still run on its valid
 * entries and on the other sections; rule issues inside broken parts are dropped as noise.
 */
export function validateStackConfig(raw: unknown, secrets: SecretPresence = {}): ValidationResult {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { ok: false, issues: [{ path: "", message: "the stack config must be a mapping of ascend-stack:<section> keys" }] };
  // A null-prototype copy: a key named __proto__ stays an (unknown, reported) key.
  const input = Object.assign(Object.create(null) as Record<string, unknown>, raw);
  for (const key of SECRET_KEYS) delete input[key];

  const issues: ConfigIssue[] = [];
  for (const key of Object.keys(raw))
    if (!(KNOWN_KEYS as string[]).includes(key))
      issues.push({ path: key, message: `unknown config key${didYouMean(key, KNOWN_KEYS)}; known keys are ${KNOWN_KEYS.join(", ")}` });
  const limits = rawLimitIssues(input);
  issues.push(...limits.issues);

  const failed = new Set<string>();
  const broken: string[] = [];
  const parsed: Record<string, unknown> = {};
  for (const section of SECTIONS) {
    // The cluster section comes first: its profile decides the accelerator section's defaults.
    // (A cluster section that failed its schema is salvaged: its profile is the one written, if valid.)
    const schema =
      section === "accelerator" ? acceleratorSchemaOf[(parsed.cluster as ClusterConfig).profile] : stackConfigSchema.shape[section];
    const value = limits.tooDeep.has(section) ? undefined : input[section];
    const result = schema.safeParse(value);
    if (limits.tooDeep.has(section)) {
      failed.add(section);
      broken.push(section);
    }
    if (result.success) parsed[section] = result.data;
    else {
      failed.add(section);
      issues.push(...zodIssues(result.error, value, [section]));
      const salvaged = salvageSection(section, schema, value);
      parsed[section] = salvaged.data;
      broken.push(...salvaged.broken);
    }
  }
  const config = parsed as StackConfig;

  const ruleIssues: ConfigIssue[] = [];
  const report = (path: Path, message: string) => ruleIssues.push({ path: formatPath(path), message });
  runRules(config, failed, report);
  if (config.registry && !secrets.registryPassword)
    report(["registryPassword"], "is required with registry: set it with `pulumi config set --secret registryPassword <password>`");
  if (secrets.registryPassword === "plaintext")
    report(["registryPassword"], "must be a secret: set it with `pulumi config set --secret registryPassword <password>`");
  issues.push(...ruleIssues.filter((i) => !broken.some((b) => isInside(i.path, b))));

  return issues.length === 0 ? { ok: true, config } : { ok: false, issues: issues.map(clamp) };
}
