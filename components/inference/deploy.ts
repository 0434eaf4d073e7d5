import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";
import { PdInference } from "./PdInference";
import { resolveInference } from "./topology";

/** What the stack hands the inference section: shared objects created by the foundation. */
export interface InferenceContext {
  config: StackConfig;
  provider: pulumi.ProviderResource;
  /** Claim name per storage volume name. */
  claims: Record<string, pulumi.Output<string>>;
  imagePullSecrets: pulumi.Input<string>[];
  /** Resources inference workloads must wait for (the image pre-pull). */
  dependsOn: pulumi.Resource[];
}

/** Images the inference deployments run (pre-pulled on every accelerator node). */
export function inferenceImages(config: StackConfig): string[] {
  return [...new Set(config.inference.deployments.map((d) => d.image ?? config.images.base))];
}

/** Creates the P/D inference deployments; returns stack outputs keyed by deployment name. */
export function deployInference(ctx: InferenceContext): Record<string, pulumi.Output<unknown>> {
  const { config } = ctx;
  const resolved = resolveInference(config);
  // validateStackConfig reports these before the program runs; never deploy a broken topology.
  if (resolved.problems.length > 0)
    throw new Error(`inference config is invalid:\n${resolved.problems.map((p) => `  - ${p.path.join(".")}: ${p.message}`).join("\n")}`);
  const inventoryHosts = [
    ...new Set(resolved.deployments.filter((d) => d.config.mode === "inventory").flatMap((d) => d.instances.map((x) => x.node!.hostname))),
  ];
  const outputs: Record<string, pulumi.Output<unknown>> = {};
  for (const dep of resolved.deployments) {
    const d = dep.config;
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
        dependsOn: ctx.dependsOn,
      },
      { provider: ctx.provider },
    );
    outputs[d.name] = pulumi.output({ endpoint: pd.endpoint, topology: pd.topology, nodePorts: pd.nodePorts });
  }
  return outputs;
}
