/**
 * ascend-stack: one stack per CCE cluster. The whole config is validated before any resource is
 * registered; see README.md for the config reference.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./components/config/load";
import { deployStack } from "./components/stack";

const config = loadStackConfig();
const registryPassword = new pulumi.Config().getSecret("registryPassword");
const outputs = deployStack(config, { registryPassword });

export const namespace = outputs.namespace;
export const volumes = outputs.volumes;
// Optional parts are object members, so an absent one is simply left out of the outputs.
export const images = { prePulled: outputs.prePulledImages, built: outputs.trainingImage };
export const trainingJobs = outputs.trainingJobs;
export const inference = outputs.inference;
