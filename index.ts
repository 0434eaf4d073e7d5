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
export const prePulledImages = outputs.prePulledImages;
export const trainingImage = outputs.trainingImage;
export const trainingJobs = outputs.trainingJobs;
export const inference = outputs.inference;
