/** Cross-field rules of the cluster section. */
import type { Report } from "../common/issues";
import { labelProblem } from "../common/names";
import type { ClusterConfig } from "./config";

export function clusterRules(cluster: ClusterConfig, report: Report): void {
  if (cluster.renderYamlToDirectory !== undefined)
    for (const key of ["kubeconfig", "context"] as const)
      if (cluster[key] !== undefined)
        report(["cluster", key], "cannot be combined with cluster.renderYamlToDirectory (render mode never contacts a cluster)");
  const p = labelProblem(cluster.namespace, "namespace");
  if (p) report(["cluster", "namespace"], p);
}
