/**
 * Cross-field rules of the foundation sections (cluster, storage, images, training). Each rule
 * reports with the config path it concerns; inference rules live in ../inference/rules.ts.
 */
import { shown } from "../common/display";
import { mountCollision, TRAINING_RESERVED_MOUNTS } from "../common/mountPaths";
import { labelProblem, serviceNameProblem, subdomainProblem } from "../common/names";
import { isUnderMaUserHome } from "../common/paths";
import { claimNameOf } from "../storage/config";
import { TRAINING_TASK_NAMES, configMapNameOf, podHostnameOf } from "../training/names";
import type { FailedSections, Report } from "./issues";
import { reportBadEnvNames, reportRequestOverLimit } from "./ruleHelpers";
import type { StackConfig } from "./schema";

/** Duplicate detector: reports the second and later occurrences of a key. */
function reportDuplicates<T>(items: readonly T[], key: (t: T) => string, path: (i: number) => (string | number)[], what: string, report: Report) {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const k = key(item);
    const first = seen.get(k);
    if (first !== undefined) report(path(i), `${what} ${shown(k)} is already used by entry [${first}]; ${what}s must be unique`);
    else seen.set(k, i);
  });
}

export function clusterRules(c: StackConfig, report: Report): void {
  if (c.cluster.renderYamlToDirectory !== undefined)
    for (const key of ["kubeconfig", "context"] as const)
      if (c.cluster[key] !== undefined)
        report(["cluster", key], "cannot be combined with cluster.renderYamlToDirectory (render mode never contacts a cluster)");
  const p = labelProblem(c.cluster.namespace, "namespace");
  if (p) report(["cluster", "namespace"], p);
}

export function storageRules(c: StackConfig, report: Report): void {
  const volumes = c.storage.volumes;
  reportDuplicates(volumes, (v) => v.name, (i) => ["storage", "volumes", i, "name"], "volume name", report);
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

export function imageRules(c: StackConfig, report: Report): void {
  const build = c.images.build;
  if (build.enabled && !build.repository)
    report(["images", "build", "repository"], "is required when images.build.enabled is true (the SWR repository to push to)");
  if (build.enabled && !c.registry)
    report(["registry"], "is required when images.build.enabled is true (server and username to push to SWR)");
}

export function trainingRules(c: StackConfig, report: Report, failed: FailedSections = new Set()): void {
  const jobs = c.training.jobs;
  const volumeNames = c.storage.volumes.map((v) => v.name);
  reportDuplicates(jobs, (j) => j.name, (i) => ["training", "jobs", i, "name"], "job name", report);
  jobs.forEach((job, i) => {
    const at = (...rest: (string | number)[]) => ["training", "jobs", i, ...rest];
    // Volcano's svc plugin creates a Service named after the job: an RFC 1035 label.
    const nameProblem = serviceNameProblem(job.name, "job name");
    if (nameProblem) report(at("name"), nameProblem);
    else {
      const cm = subdomainProblem(configMapNameOf(job.name), "derived ConfigMap name");
      if (cm) report(at("name"), cm);
      const lastTask = job.nodes > 1 ? TRAINING_TASK_NAMES.worker : TRAINING_TASK_NAMES.master;
      const lastIndex = job.nodes > 1 ? job.nodes - 2 : 0;
      const host = labelProblem(podHostnameOf(job.name, lastTask, lastIndex), "derived pod name");
      if (host) report(at("name"), host);
    }
    const containerProblem = labelProblem(job.containerName, "container name");
    if (containerProblem) report(at("containerName"), containerProblem);
    const npus = job.npus ?? c.accelerator.npusPerNode;
    if (npus > c.accelerator.npusPerNode && !failed.has("accelerator"))
      report(at("npus"), `requests ${npus} NPUs per pod but accelerator.npusPerNode is ${c.accelerator.npusPerNode}; one pod runs on one node`);
    if (job.minAvailable !== undefined && job.minAvailable > job.nodes)
      report(at("minAvailable"), `is ${job.minAvailable} but the job has only ${job.nodes} pod(s); it could never start`);
    reportRequestOverLimit(at("resources", "cpu"), job.resources.cpu, report);
    reportRequestOverLimit(at("resources", "memory"), job.resources.memory, report);
    if (isUnderMaUserHome(job.mountPath))
      report(at("mountPath"), `must not be /home/ma-user or below it: mounting there breaks the image`);
    const collision = mountCollision(job.mountPath, TRAINING_RESERVED_MOUNTS);
    if (collision) report(at("mountPath"), `overlaps ${collision.path}, where the job mounts ${collision.what}; choose a path outside it (e.g. /mnt/sfs_turbo)`);
    if (failed.has("storage")) {
      // The volumes are unknown: no volume rule can be judged.
    } else if (volumeNames.length === 0)
      report(at("volume"), "training jobs mount an SFS Turbo volume for code, data and weights: add one under storage.volumes");
    else if (job.volume !== undefined && !volumeNames.includes(job.volume))
      report(at("volume"), `refers to volume ${shown(job.volume)}, which is not in storage.volumes (${volumeNames.join(", ")})`);
    reportBadEnvNames(at("env"), job.env, report);
    if (job.image === undefined && c.images.build.enabled === false && !c.images.base)
      report(at("image"), "is required when images.base is empty");
  });
}
