/**
 * ascend-stack: one stack per CCE cluster. The whole config is validated before any resource is
 * registered; see README.md for the config reference.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./components/config/load";
import { startDeployWatch } from "./components/cluster/deployWatch";
import { deployStack } from "./components/stack";

const config = loadStackConfig();
const registryPassword = new pulumi.Config().getSecret("registryPassword");
// During `pulumi up`: fail fast, with the reason, when a pod this update creates cannot start.
// Started first, so its snapshot of the pods that existed before predates every change.
startDeployWatch(
  config.cluster,
  config.training.jobs.map((j) => ({ name: j.name, pods: j.nodes })),
);
const outputs = deployStack(config, { registryPassword });

export const namespace = outputs.namespace;
export const volumes = outputs.volumes;
// Optional parts are object members, so an absent one is simply left out of the outputs.
export const images = { prePulled: outputs.prePulledImages, built: outputs.trainingImage };
export const trainingJobs = outputs.trainingJobs;
export const inference = outputs.inference;
