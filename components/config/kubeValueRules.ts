/**
 * Values that end up verbatim in Kubernetes objects, checked with Kubernetes' own syntax rules so
 * that `up` never fails half-way on a value the API server refuses.
 */
import { extendedResourceNameProblem, labelValueProblem, qualifiedNameProblem } from "../common/kubeNames";
import { subdomainProblem } from "../common/names";
import type { Report } from "../common/issues";
import { TRAINING_FLAVORS } from "../training/flavors";
import type { StackConfig } from "./schema";

function nodeSelectorRules(selector: Record<string, string>, at: (string | number)[], report: Report): void {
  for (const [key, value] of Object.entries(selector)) {
    const k = qualifiedNameProblem(key, "node-selector key");
    if (k) report([...at, key], k);
    const v = labelValueProblem(value, "node-selector value");
    if (v) report([...at, key], v);
  }
}

export function kubeValueRules(c: StackConfig, report: Report): void {
  const a = c.accelerator;
  const resource = extendedResourceNameProblem(a.resourceName);
  if (resource) report(["accelerator", "resourceName"], resource);
  // The ring-controller label of the training ConfigMap, Job and pods carries the profile.
  const profile = labelValueProblem(a.profile, `profile (the ${TRAINING_FLAVORS[c.cluster.profile].ringControllerLabel} label value)`);
  if (profile) report(["accelerator", "profile"], profile);
  nodeSelectorRules(a.nodeSelector, ["accelerator", "nodeSelector"], report);
  c.inference.deployments.forEach((d, i) => {
    if (d.placement) nodeSelectorRules(d.placement.nodeSelector, ["inference", "deployments", i, "placement", "nodeSelector"], report);
  });
  const annotation = qualifiedNameProblem(a.deviceAnnotation, "annotation key");
  if (annotation) report(["accelerator", "deviceAnnotation"], annotation);

  if (c.registry) {
    const secret = subdomainProblem(c.registry.pullSecretName, "Secret name");
    if (secret) report(["registry", "pullSecretName"], secret);
  }
  c.storage.volumes.forEach((v, i) => {
    if (v.type === "existing") return;
    const sc = subdomainProblem(v.storageClassName, "StorageClass name");
    if (sc) report(["storage", "volumes", i, "storageClassName"], sc);
  });
  c.training.jobs.forEach((j, i) => {
    // The Volcano queue is a cluster object: its name is a DNS subdomain.
    const queue = subdomainProblem(j.queue, "queue name");
    if (queue) report(["training", "jobs", i, "queue"], queue);
  });
  c.inference.nodes.forEach((n, i) => {
    // Pods are pinned with nodeSelector kubernetes.io/hostname=<hostname>: a label value.
    const host = labelValueProblem(n.hostname, "hostname (the kubernetes.io/hostname label value)");
    if (host) report(["inference", "nodes", i, "hostname"], host);
  });
}
