import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, kubernetesProviderOf } from "../common/component";
import { buildPersistentVolumeClaim, buildStaticPersistentVolume } from "./builders";
import { claimNameOf, type VolumeConfig } from "./config";

export interface SfsTurboVolumeArgs {
  /** The validated volume config (static share, sub-path claim, claim on any class, or existing claim). Decides which objects exist. */
  volume: VolumeConfig;
  /** Namespace of the claim. */
  namespace: string;
}

/**
 * An SFS Turbo volume as workloads see it: a claim name. Static shares get a Retain PV through
 * Everest's CSI driver plus a claim bound to it; sub-path volumes get a claim on the sub-path
 * StorageClass, dynamic ones a claim on their (any RWX) class; existing claims are only referenced. The objects are protected unless the
 * volume sets allowDestroy, so `pulumi destroy` cannot delete them.
 */
export class SfsTurboVolume extends pulumi.ComponentResource {
  /** Claim name to mount. */
  public readonly claimName: pulumi.Output<string>;

  constructor(name: string, args: SfsTurboVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ascend:storage:SfsTurboVolume", name, {}, opts);
    const provider = kubernetesProviderOf(opts);
    const v = args.volume;
    const safety = { protect: !v.allowDestroy, retainOnDelete: !v.allowDestroy };
    let pv: k8s.core.v1.PersistentVolume | undefined;
    let pvc: k8s.core.v1.PersistentVolumeClaim | undefined;
    if (v.type === "static") {
      pv = new k8s.core.v1.PersistentVolume(`${name}-pv`, buildStaticPersistentVolume(v), childOptions(this, provider, safety));
    }
    if (v.type !== "existing") {
      pvc = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-pvc`,
        buildPersistentVolumeClaim(v, args.namespace),
        childOptions(this, provider, {
          ...safety,
          dependsOn: pv ? [pv] : [],
          // Kubernetes resizes only dynamically provisioned claims: a static share's capacity is
          // nominal and lives on its PV, so an edit updates the PV and leaves the bound claim be.
          ...(pv ? { ignoreChanges: ["spec.resources.requests.storage"] } : {}),
        }),
      );
    }
    this.claimName = pvc ? pvc.metadata.name : pulumi.output(claimNameOf(v));
    this.registerOutputs({ claimName: this.claimName });
  }
}
