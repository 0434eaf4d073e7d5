import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, kubernetesProviderOf } from "../common/component";
import { buildPrePullDaemonSet, prePullMetadata } from "./builders";

export interface ImagePrePullArgs {
  /** Images every accelerator node must hold. */
  images: pulumi.Input<string>[];
  /** Namespace of the DaemonSet. */
  namespace: string;
  /** Node selector of the accelerator nodes. */
  nodeSelector: Record<string, string>;
  /** imagePullPolicy of the pull containers. */
  imagePullPolicy: string;
  /** Pull secret names for private registries (SWR). */
  imagePullSecrets?: pulumi.Input<string>[];
}

/**
 * Pre-pulls images onto every accelerator node (the manual's `ctr -n k8s.io pull` on each node).
 * The engine waits for the DaemonSet's rollout, so resources that depend on this component
 * (training jobs) are created only once every node holds every image.
 */
export class ImagePrePull extends pulumi.ComponentResource {
  /** The images pulled. */
  public readonly images: pulumi.Output<string[]>;

  constructor(name: string, args: ImagePrePullArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ascend:images:ImagePrePull", name, {}, opts);
    const provider = kubernetesProviderOf(opts);
    const spec = pulumi.all([pulumi.all(args.images), pulumi.all(args.imagePullSecrets ?? [])]).apply(([images, secrets]) =>
      buildPrePullDaemonSet({
        name,
        namespace: args.namespace,
        images: [...new Set(images)],
        nodeSelector: args.nodeSelector,
        imagePullPolicy: args.imagePullPolicy,
        imagePullSecrets: secrets,
      }),
    );
    new k8s.apps.v1.DaemonSet(
      `${name}-daemonset`,
      { metadata: prePullMetadata(name, args.namespace), spec: spec.apply((s) => s.spec) },
      childOptions(this, provider),
    );
    this.images = pulumi.all(args.images).apply((images) => [...new Set(images)]);
    this.registerOutputs({ images: this.images });
  }
}
