import type * as pulumi from "@pulumi/pulumi";
import type { AcceleratorConfig } from "./accelerator";

/**
 * What every NPU workload needs besides its own config: builders and components take the same
 * values. `image` and `claimName` may be other resources' outputs (a pending image build, a
 * claim being created): builders place them as they are, so only they are unknown at preview.
 */
export interface WorkloadInputs {
  /** Namespace of every object. */
  namespace: string;
  /** The accelerator profile (NPU resource name, node selector, device annotation, NPUs per node). */
  accelerator: AcceleratorConfig;
  /** Image to run. */
  image: pulumi.Input<string>;
  /** imagePullPolicy. */
  imagePullPolicy: string;
  /** Claim of the SFS Turbo volume mounted into the pods. */
  claimName: pulumi.Input<string>;
  /** Pull secret names (plain: the configured name, so a credential rotation changes no pod). */
  imagePullSecrets?: string[];
}
