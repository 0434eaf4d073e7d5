import type * as pulumi from "@pulumi/pulumi";
import type { AcceleratorConfig } from "./accelerator";

/** What every NPU workload builder needs besides its own config (plain, resolved values). */
export interface WorkloadInputs {
  namespace: string;
  accelerator: AcceleratorConfig;
  /** Resolved image. */
  image: string;
  imagePullPolicy: string;
  /** Claim of the SFS Turbo volume mounted into the pods. */
  claimName: string;
  imagePullSecrets?: string[];
}

/** The same for components: values that may still be other resources' outputs. */
export interface WorkloadArgs {
  /** Namespace of every object. */
  namespace: string;
  /** The accelerator profile (NPU resource name, node selector, device annotation, NPUs per node). */
  accelerator: AcceleratorConfig;
  /** Image to run (may come from the image build's output). */
  image: pulumi.Input<string>;
  /** imagePullPolicy. */
  imagePullPolicy: string;
  /** Claim of the SFS Turbo volume to mount. */
  claimName: pulumi.Input<string>;
  /** Pull secret names. */
  imagePullSecrets?: pulumi.Input<string>[];
}
