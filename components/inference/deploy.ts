import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";
import { NpuExclusivity } from "./NpuExclusivity";
import { inventoryHostsOf, npuLedgerFile, reservedNodesOf } from "./npuOwnership";
import { PdInference } from "./PdInference";
import { resolveInference, type ResolvedDeployment } from "./topology";

/** What the stack hands the inference section: shared objects created by the foundation. */
export interface InferenceContext {
  config: StackConfig;
  provider: pulumi.ProviderResource;
  /** The stack's identity (stackIdOf): scopes rendezvous dirs, names the NPU ledger. */
  stackId: string;
  /** Claim name per storage volume name. */
  claims: Record<string, pulumi.Output<string>>;
  imagePullSecrets: string[];
  /** Resources inference workloads must wait for (the image pre-pull). */
  dependsOn: pulumi.Resource[];
}

/** Images the inference deployments run (pre-pulled on every accelerator node). */
export function inferenceImages(config: StackConfig): string[] {
  return [...new Set(config.inference.deployments.map((d) => d.image ?? config.images.base))];
}

/** Hostnames every other NPU pod of the stack (training jobs too) must stay off. */
export function inventoryHostsOfConfig(config: StackConfig): string[] {
  return inventoryHostsOf(resolveInference(config).deployments, config.inference.nodes);
}

/** Creates the P/D inference deployments; returns stack outputs keyed by deployment name. */
export function deployInference(ctx: InferenceContext): Record<string, pulumi.Output<unknown>> {
  const { config } = ctx;
  const resolved = resolveInference(config);
  // validateStackConfig reports these before the program runs; never deploy a broken topology.
  if (resolved.problems.length > 0)
    throw new Error(`inference config is invalid:\n${resolved.problems.map((p) => `  - ${p.path.join(".")}: ${p.message}`).join("\n")}`);
  const exclusivity = npuExclusivity(ctx, resolved.deployments);
  const inventoryHosts = inventoryHostsOf(resolved.deployments, config.inference.nodes);
  const outputs: Record<string, pulumi.Output<unknown>> = {};
  for (const dep of resolved.deployments) {
    const d = dep.config;
    const reservations =
      exclusivity && d.mode === "inventory"
        ? [exclusivity, ...new Set(dep.instances.map((x) => exclusivity.reservations[x.node!.hostname]))]
        : [];
    const pd = new PdInference(
      d.name,
      {
        deployment: dep,
        namespace: config.cluster.namespace,
        accelerator: config.accelerator,
        image: d.image ?? config.images.base,
        imagePullPolicy: config.images.pullPolicy,
        claimName: ctx.claims[d.volume ?? config.storage.volumes[0].name],
        imagePullSecrets: ctx.imagePullSecrets,
        inventoryHosts,
        stackId: ctx.stackId,
        inventoryTolerations: config.inference.inventoryTolerations,
        dependsOn: ctx.dependsOn,
        instancesDependOn: reservations,
      },
      { provider: ctx.provider },
    );
    outputs[d.name] = pulumi.output({ endpoint: pd.endpoint, topology: pd.topology, nodePorts: pd.nodePorts });
  }
  return outputs;
}

/** Image of each inventory node's reservation pod: the first inventory deployment's on the node (pre-pulled there). */
export function reservationImagesOf(config: StackConfig, deployments: readonly ResolvedDeployment[]): Record<string, string> {
  const images: Record<string, string> = {};
  for (const d of deployments)
    if (d.config.mode === "inventory") for (const x of d.instances) images[x.node!.hostname] ??= d.config.image ?? config.images.base;
  return images;
}

/** The ledger and node reservations, when any deployment uses inventory mode. */
function npuExclusivity(ctx: InferenceContext, deployments: ResolvedDeployment[]): NpuExclusivity | undefined {
  const { config } = ctx;
  const nodes = reservedNodesOf(deployments, config.inference.nodes);
  if (nodes.length === 0) return undefined;
  const images = reservationImagesOf(config, deployments);
  return new NpuExclusivity(
    "npu-exclusivity",
    {
      namespace: config.cluster.namespace,
      stackId: ctx.stackId,
      ledgerJson: npuLedgerFile(deployments),
      nodes,
      images,
      accelerator: config.accelerator,
      imagePullPolicy: config.images.pullPolicy,
      imagePullSecrets: ctx.imagePullSecrets,
      tolerations: [...config.accelerator.tolerations, ...config.inference.inventoryTolerations],
      dependsOn: ctx.dependsOn,
    },
    { provider: ctx.provider },
  );
}
