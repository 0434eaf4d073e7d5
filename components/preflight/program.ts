/**
 * Preflight inside the Pulumi program (docs/preflight.md): before any resource is registered,
 * during preview and up alike, unless cluster.preflight is off or the stack renders manifests.
 * With `enforce`, an error fails the run — nothing is registered, so nothing changes — listing
 * every finding at once; warnings, and every finding with `advisory`, are printed and the run goes on.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";
import { errorsOf, formatFindings } from "./findings";
import { runPreflight } from "./run";

export async function preflightOrFail(config: StackConfig): Promise<void> {
  const mode = config.cluster.preflight;
  if (mode === "off" || config.cluster.renderYamlToDirectory) return;
  const findings = await runPreflight(config);
  if (findings.length === 0) return;
  const errors = errorsOf(findings).length;
  const counts = `${errors} error(s), ${findings.length - errors} warning(s)`;
  if (errors > 0 && mode === "enforce")
    throw new pulumi.RunError(
      `preflight: the cluster cannot take this stack as configured (${counts}); nothing was changed:\n${formatFindings(findings)}\n` +
        "Fix the cluster or the config; cluster.preflight: advisory reports these without failing.",
    );
  await pulumi.log.warn(`preflight (${mode}): ${counts}:\n${formatFindings(findings)}`);
}
