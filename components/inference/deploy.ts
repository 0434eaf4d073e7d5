import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/schema";

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
export function inferenceImages(_config: StackConfig): string[] {
  return [];
}

/** Creates the P/D inference deployments; returns stack outputs keyed by deployment name. */
export function deployInference(_ctx: InferenceContext): Record<string, pulumi.Output<unknown>> {
  return {};
}
