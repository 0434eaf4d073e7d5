/** Cross-field rules of storage.volumes: unique names and claim names, Kubernetes naming. */
import type { Report } from "../common/issues";
import { subdomainProblem } from "../common/names";
import { reportDuplicates } from "../common/ruleHelpers";
import { claimNameOf, type StorageConfig } from "./config";

export function storageRules(storage: StorageConfig, report: Report): void {
  const volumes = storage.volumes;
  reportDuplicates(
    volumes,
    (v) => v.name,
    (i) => ["storage", "volumes", i, "name"],
    "volume name",
    report,
  );
  reportDuplicates(volumes, claimNameOf, (i) => ["storage", "volumes", i, "claimName"], "claim name", report);
  volumes.forEach((v, i) => {
    const name = subdomainProblem(v.name, "volume name");
    if (name) report(["storage", "volumes", i, "name"], name);
    if (v.claimName !== undefined) {
      const claim = subdomainProblem(v.claimName, "claim name");
      if (claim) report(["storage", "volumes", i, "claimName"], claim);
    }
  });
}
