/** Cross-field rules of training.jobs: names Volcano derives, NPUs per node, mounts, volumes, images. */
import type { AcceleratorConfig } from "../common/accelerator";
import type { Path, Report } from "../common/issues";
import type { ClusterProfile } from "../common/profiles";
import { mountCollision, TRAINING_RESERVED_MOUNTS } from "../common/mountPaths";
import { labelProblem, serviceNameProblem, subdomainProblem } from "../common/names";
import { isUnderMaUserHome } from "../common/paths";
import { reportBadEnvNames, reportDuplicates, reportRequestOverLimit } from "../common/ruleHelpers";
import { reportVolumeRef } from "../storage/volumeRef";
import type { TrainingConfig, TrainingJobConfig } from "./config";
import { podHostnameOf, rankTableConfigMapNameOf, TRAINING_TASK_NAMES } from "./names";

/** What the training rules need from the rest of the stack. */
export interface TrainingRuleInput {
  training: TrainingConfig;
  /** undefined when the accelerator section failed its schema (its limits are unknown). */
  accelerator?: Pick<AcceleratorConfig, "npusPerNode">;
  /** undefined when the storage section failed its schema. */
  volumeNames?: readonly string[];
  /** A job without `image` has one: images.base is set or an image is built. */
  hasDefaultImage: boolean;
  /** The cluster profile: it names the rank-table ConfigMap. */
  profile: ClusterProfile;
}

function reportNames(job: TrainingJobConfig, profile: ClusterProfile, at: (...rest: Path) => Path, report: Report) {
  // Volcano's svc plugin creates a Service named after the job: an RFC 1035 label.
  const nameProblem = serviceNameProblem(job.name, "job name");
  if (nameProblem) return report(at("name"), nameProblem);
  const cm = subdomainProblem(rankTableConfigMapNameOf(job.name, profile), "derived ConfigMap name");
  if (cm) report(at("name"), cm);
  const lastTask = job.nodes > 1 ? TRAINING_TASK_NAMES.worker : TRAINING_TASK_NAMES.master;
  const lastIndex = job.nodes > 1 ? job.nodes - 2 : 0;
  const host = labelProblem(podHostnameOf(job.name, lastTask, lastIndex), "derived pod name");
  if (host) report(at("name"), host);
}

export function trainingRules(input: TrainingRuleInput, report: Report): void {
  const jobs = input.training.jobs;
  reportDuplicates(
    jobs,
    (j) => j.name,
    (i) => ["training", "jobs", i, "name"],
    "job name",
    report,
  );
  jobs.forEach((job, i) => {
    const at = (...rest: Path): Path => ["training", "jobs", i, ...rest];
    reportNames(job, input.profile, at, report);
    const containerProblem = labelProblem(job.containerName, "container name");
    if (containerProblem) report(at("containerName"), containerProblem);
    const perNode = input.accelerator?.npusPerNode;
    if (perNode !== undefined && (job.npus ?? perNode) > perNode)
      report(at("npus"), `requests ${job.npus} NPUs per pod but accelerator.npusPerNode is ${perNode}; one pod runs on one node`);
    if (job.minAvailable !== undefined && job.minAvailable > job.nodes)
      report(at("minAvailable"), `is ${job.minAvailable} but the job has only ${job.nodes} pod(s); it could never start`);
    reportRequestOverLimit(at("resources", "cpu"), job.resources.cpu, report);
    reportRequestOverLimit(at("resources", "memory"), job.resources.memory, report);
    if (isUnderMaUserHome(job.mountPath)) report(at("mountPath"), `must not be /home/ma-user or below it: mounting there breaks the image`);
    const collision = mountCollision(job.mountPath, TRAINING_RESERVED_MOUNTS);
    if (collision)
      report(
        at("mountPath"),
        `overlaps ${collision.path}, where the job mounts ${collision.what}; choose a path outside it (e.g. /mnt/sfs_turbo)`,
      );
    reportVolumeRef(
      at("volume"),
      job.volume,
      input.volumeNames,
      "training jobs mount an SFS Turbo volume for code, data and weights",
      report,
    );
    reportBadEnvNames(at("env"), job.env, report);
    if (job.image === undefined && !input.hasDefaultImage) report(at("image"), "is required when images.base is empty");
  });
}
