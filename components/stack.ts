/**
 * The whole stack from a validated config: provider, namespace, registry secret, optional image
 * build, SFS Turbo volumes, image pre-pull, training jobs and P/D inference.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { startDeployWatch } from "./cluster/deployWatch";
import { createProvider } from "./cluster/provider";
import type { StackConfig } from "./config/schema";
import { ImagePrePull } from "./images/ImagePrePull";
import { RegistryPullSecret } from "./images/RegistryPullSecret";
import { TrainingImage } from "./images/TrainingImage";
import { stackIdOf } from "./common/stackId";
import { deployInference, inferenceImages, inventoryHostsOfConfig } from "./inference/deploy";
import { SfsTurboVolume } from "./storage/SfsTurboVolume";
import { TrainingJob } from "./training/TrainingJob";

/** What rendered manifests carry instead of the registry password. */
export const RENDER_PLACEHOLDER = "<redacted: rendered manifests never hold credentials>";

export interface StackSecrets {
  /** SWR password (config key registryPassword, set with --secret). */
  registryPassword?: pulumi.Output<string>;
}

/** The Pulumi organization; language hosts older than the SDK may not pass one. */
function organizationOrDefault(): string {
  try {
    return pulumi.getOrganization();
  } catch {
    return "organization";
  }
}

export function deployStack(config: StackConfig, secrets: StackSecrets = {}) {
  const stack = pulumi.getStack();
  const stackId = stackIdOf(organizationOrDefault(), pulumi.getProject(), stack);
  // Inventory nodes belong to the inventory deployments whole: no other NPU pod of the stack goes there.
  const inventoryHosts = inventoryHostsOfConfig(config);
  const provider = createProvider(`${stack}-k8s`, config.cluster);
  const ns = config.cluster.namespace;
  const opts: pulumi.ComponentResourceOptions = { provider };

  const namespace = config.cluster.createNamespace
    ? // Deleting a namespace deletes every claim in it: Pulumi never deletes the namespace it created.
      new k8s.core.v1.Namespace(`${stack}-namespace`, { metadata: { name: ns } }, { provider, retainOnDelete: true })
    : undefined;
  const base = namespace ? { ...opts, dependsOn: [namespace] } : opts;

  const registry = config.registry;
  // Render mode writes Secret data in plaintext files: never put the real password there.
  const pullPassword = config.cluster.renderYamlToDirectory ? pulumi.secret(RENDER_PLACEHOLDER) : secrets.registryPassword;
  const pullSecret =
    registry && secrets.registryPassword
      ? new RegistryPullSecret(
          "registry",
          { server: registry.server, username: registry.username, password: pullPassword!, secretName: registry.pullSecretName, namespace: ns },
          base,
        )
      : undefined;
  // The configured name, not the Secret's output: a credential rotation updates the Secret in
  // place, and its dependents must not see an unknown name (which would replace them).
  const imagePullSecrets = pullSecret && registry ? [registry.pullSecretName] : [];
  const baseDependsOn = (base.dependsOn as pulumi.Resource[] | undefined) ?? [];
  const workloadBase = pullSecret ? { ...base, dependsOn: [...baseDependsOn, pullSecret] } : base;

  const build = config.images.build;
  const trainingImage =
    build.enabled && registry && secrets.registryPassword && build.repository
      ? new TrainingImage("training-image", {
          repository: build.repository,
          tag: build.tag,
          context: build.context,
          dockerfile: build.dockerfile,
          platform: build.platform,
          args: build.args,
          baseImage: config.images.base,
          registry: { server: registry.server, username: registry.username, password: secrets.registryPassword },
        })
      : undefined;
  const defaultTrainingImage: pulumi.Input<string> = trainingImage?.imageRef ?? config.images.base;

  const claims: Record<string, pulumi.Output<string>> = {};
  for (const volume of config.storage.volumes) {
    claims[volume.name] = new SfsTurboVolume(volume.name, { volume, namespace: ns }, base).claimName;
  }

  const jobImages = config.training.jobs.map((j) => j.image ?? defaultTrainingImage);
  const prePullImages = [...jobImages, ...inferenceImages(config), ...config.images.prePull.extraImages];
  const prePull =
    config.images.prePull.enabled && prePullImages.length > 0
      ? new ImagePrePull(
          "image-prepull",
          {
            images: prePullImages,
            namespace: ns,
            nodeSelector: config.accelerator.nodeSelector,
            imagePullPolicy: config.images.pullPolicy,
            imagePullSecrets,
          },
          workloadBase,
        )
      : undefined;
  const afterPull = { ...workloadBase, dependsOn: [...((workloadBase.dependsOn as pulumi.Resource[] | undefined) ?? []), ...(prePull ? [prePull] : [])] };

  const jobs = config.training.jobs.map(
    (job, i) =>
      new TrainingJob(
        job.name,
        {
          job,
          namespace: ns,
          accelerator: config.accelerator,
          image: jobImages[i],
          imagePullPolicy: config.images.pullPolicy,
          claimName: claims[job.volume ?? config.storage.volumes[0].name],
          imagePullSecrets,
          avoidHosts: inventoryHosts,
        },
        afterPull,
      ),
  );

  startDeployWatch(
    config.cluster,
    config.training.jobs.map((j) => ({ name: j.name, pods: j.nodes })),
  );
  const inference = deployInference({ config, provider, stackId, claims, imagePullSecrets, dependsOn: afterPull.dependsOn as pulumi.Resource[] });

  return {
    namespace: ns,
    volumes: claims,
    prePulledImages: prePull?.images,
    trainingImage: trainingImage?.imageRef,
    trainingJobs: Object.fromEntries(jobs.map((j, i) => [config.training.jobs[i].name, { job: j.jobName, configMap: j.configMapName }])),
    inference,
  };
}
