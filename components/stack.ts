/**
 * The whole stack from a validated config: provider, namespace, registry secret, optional image
 * build, SFS Turbo volumes, image pre-pull, training jobs, and P/D inference with the NPU
 * exclusivity of its inventory nodes. The one place that knows every section: features below it
 * take only what they need.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { createJobProvider, createProvider } from "./cluster/provider";
import { formatIssues, formatPath } from "./common/issues";
import { stackIdOf } from "./common/stackId";
import type { StackConfig } from "./config/schema";
import { ImagePrePull } from "./images/ImagePrePull";
import { RegistryPullSecret } from "./images/RegistryPullSecret";
import { TrainingImage } from "./images/TrainingImage";
import { NpuExclusivity } from "./inference/NpuExclusivity";
import { inventoryHostsOf, npuLedgerFile, reservationImagesOf, reservedNodesOf } from "./inference/npuOwnership";
import { PdInference } from "./inference/PdInference";
import { resolveInference, type ResolvedInference } from "./inference/topology";
import { isVllmAscend, type DeploymentConfig } from "./inference/config";
import { VllmAscendPd } from "./inference/vllmAscend/VllmAscendPd";
import { SfsTurboVolume } from "./storage/SfsTurboVolume";
import { volumeNameFor } from "./storage/volumeRef";
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

/** What every workload of the stack shares: where it goes and what it may wait for. */
export interface StackContext {
  config: StackConfig;
  provider: pulumi.ProviderResource;
  /** The stack's identity (stackIdOf): scopes rendezvous dirs, names the NPU ledger. */
  stackId: string;
  /** Claim name per storage volume name. */
  claims: Record<string, pulumi.Input<string>>;
  /** Pull secret names (plain: a credential rotation must not make them unknown). */
  imagePullSecrets: string[];
  /** Resources every workload waits for (namespace, pull secret, image pre-pull). */
  dependsOn: pulumi.Resource[];
}

/** The claim a workload mounts: its own `volume`, else the first volume (validation guarantees one). */
function claimFor(ctx: StackContext, volume: string | undefined): pulumi.Input<string> {
  return ctx.claims[
    volumeNameFor(
      volume,
      ctx.config.storage.volumes.map((v) => v.name),
    )!
  ];
}

/** Images the inference deployments run (pre-pulled on every accelerator node). */
export function inferenceImages(config: StackConfig): string[] {
  return [...new Set(config.inference.deployments.map((d) => inferenceImageOf(config, d)))];
}

/** A deployment's image: its own (vllm-ascend always has one), else the manual's base image. */
const inferenceImageOf = (config: StackConfig, d: DeploymentConfig) => (isVllmAscend(d) ? d.image : (d.image ?? config.images.base));

/** Resolved inference; validation reports every problem before the program runs, so any here is a bug. */
export function resolvedInference(config: StackConfig): ResolvedInference {
  const resolved = resolveInference(config);
  if (resolved.problems.length > 0)
    throw new Error(
      `inference config is invalid:\n${formatIssues(resolved.problems.map((p) => ({ path: formatPath(p.path), message: p.message })))}`,
    );
  return resolved;
}

export function deployStack(config: StackConfig, secrets: StackSecrets = {}) {
  const stack = pulumi.getStack();
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
          {
            server: registry.server,
            username: registry.username,
            password: pullPassword!,
            secretName: registry.pullSecretName,
            namespace: ns,
          },
          base,
        )
      : undefined;

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
  for (const volume of config.storage.volumes)
    claims[volume.name] = new SfsTurboVolume(volume.name, { volume, namespace: ns }, base).claimName;

  // The configured name, not the Secret's output: a credential rotation updates the Secret in
  // place, and its dependents must not see an unknown name (which would replace them).
  const imagePullSecrets = pullSecret && registry ? [registry.pullSecretName] : [];
  const before = [...(namespace ? [namespace] : []), ...(pullSecret ? [pullSecret] : [])];
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
          { provider, dependsOn: before },
        )
      : undefined;

  const ctx: StackContext = {
    config,
    provider,
    stackId: stackIdOf(organizationOrDefault(), pulumi.getProject(), stack),
    claims,
    imagePullSecrets,
    dependsOn: [...before, ...(prePull ? [prePull] : [])],
  };
  const inference = resolvedInference(config);
  // Inventory nodes belong to the inventory deployments whole: no other NPU pod of the stack goes there.
  const inventoryHosts = inventoryHostsOf(inference.deployments, config.inference.nodes);

  const jobProvider = config.training.jobs.length > 0 ? createJobProvider(`${stack}-k8s-volcano-jobs`, config.cluster) : undefined;
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
          claimName: claimFor(ctx, job.volume),
          imagePullSecrets,
          avoidHosts: inventoryHosts,
          profile: config.cluster.profile,
          jobProvider,
        },
        { provider, dependsOn: ctx.dependsOn },
      ),
  );

  return {
    namespace: ns,
    volumes: claims,
    prePulledImages: prePull?.images,
    trainingImage: trainingImage?.imageRef,
    trainingJobs: Object.fromEntries(jobs.map((j, i) => [config.training.jobs[i].name, { job: j.jobName, configMap: j.configMapName }])),
    inference: deployInference(ctx, inference, inventoryHosts),
  };
}

/** The P/D deployments (and their inventory nodes' NPU exclusivity); stack outputs by deployment name. */
export function deployInference(
  ctx: StackContext,
  resolved: ResolvedInference,
  inventoryHosts: string[],
): Record<string, pulumi.Output<unknown>> {
  const { config } = ctx;
  const exclusivity = npuExclusivity(ctx, resolved);
  const outputs: Record<string, pulumi.Output<unknown>> = {};
  // What every deployment's component takes from the stack, whatever its engine.
  const shared = {
    namespace: config.cluster.namespace,
    accelerator: config.accelerator,
    imagePullPolicy: config.images.pullPolicy,
    imagePullSecrets: ctx.imagePullSecrets,
    inventoryHosts,
    dependsOn: ctx.dependsOn,
  };
  const perDeployment = (d: DeploymentConfig) => ({ image: inferenceImageOf(config, d), claimName: claimFor(ctx, d.volume) });
  for (const dep of resolved.deployments) {
    const d = dep.config;
    // Depending on the component waits for the ledger and every node's reservation.
    const reservations = exclusivity && d.mode === "inventory" ? [exclusivity] : [];
    const pd = new PdInference(
      d.name,
      {
        ...shared,
        ...perDeployment(d),
        deployment: dep,
        stackId: ctx.stackId,
        inventoryTolerations: config.inference.inventoryTolerations,
        instancesDependOn: reservations,
      },
      { provider: ctx.provider },
    );
    outputs[d.name] = pulumi.output({ endpoint: pd.endpoint, topology: pd.topology, nodePorts: pd.nodePorts });
  }
  for (const dep of resolved.vllmAscend) {
    const d = dep.config;
    const pd = new VllmAscendPd(d.name, { ...shared, ...perDeployment(d), deployment: dep }, { provider: ctx.provider });
    outputs[d.name] = pulumi.output({ endpoint: pd.endpoint, topology: pd.topology });
  }
  return outputs;
}

/** The NPU ledger and node reservations, when any deployment uses inventory mode. */
function npuExclusivity(ctx: StackContext, resolved: ResolvedInference): NpuExclusivity | undefined {
  const { config } = ctx;
  const nodes = reservedNodesOf(resolved.deployments, config.inference.nodes);
  if (nodes.length === 0) return undefined;
  return new NpuExclusivity(
    "npu-exclusivity",
    {
      namespace: config.cluster.namespace,
      stackId: ctx.stackId,
      ledgerJson: npuLedgerFile(resolved.deployments),
      nodes,
      images: reservationImagesOf(resolved.deployments, config.images.base),
      accelerator: config.accelerator,
      imagePullPolicy: config.images.pullPolicy,
      imagePullSecrets: ctx.imagePullSecrets,
      tolerations: [...config.accelerator.tolerations, ...config.inference.inventoryTolerations],
      dependsOn: ctx.dependsOn,
    },
    { provider: ctx.provider },
  );
}
