import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, kubernetesProviderOf } from "../common/component";
import { standardLabels } from "../common/labels";
import { dockerConfigJson } from "./builders";

export interface RegistryPullSecretArgs {
  /** Registry host, e.g. swr.cn-southwest-2.myhuaweicloud.com. */
  server: string;
  /** Registry user. */
  username: string;
  /** Registry password: a Pulumi secret (config key registryPassword). */
  password: pulumi.Input<string>;
  /** Secret name in the namespace. */
  secretName: string;
  /** Namespace. */
  namespace: string;
}

/**
 * An image pull secret for SWR whose credentials stay a Pulumi secret end to end.
 *
 * A credential rotation (username, password, server) must touch this Secret only: it is updated in
 * place (the stack's provider sets `enableSecretMutable`; without it the Kubernetes provider
 * replaces a Secret on any `data`/`stringData` change, deleting it before re-creating it), and
 * `secretName` is the configured name as a plain string, so the pods that name the Secret in
 * `imagePullSecrets` carry no property dependency on it and never see an unknown name. Order
 * dependents after it with `dependsOn`.
 */
export class RegistryPullSecret extends pulumi.ComponentResource {
  /** Name of the kubernetes.io/dockerconfigjson Secret (the configured name, known at preview). */
  public readonly secretName: string;

  constructor(name: string, args: RegistryPullSecretArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ascend:images:RegistryPullSecret", name, {}, opts);
    const config = pulumi.secret(pulumi.output(args.password).apply((p) => dockerConfigJson(args.server, args.username, p)));
    const secret = new k8s.core.v1.Secret(
      `${name}-secret`,
      {
        metadata: {
          name: args.secretName,
          namespace: args.namespace,
          labels: standardLabels({ name: "registry-credentials", instance: args.secretName, component: "images" }),
        },
        type: "kubernetes.io/dockerconfigjson",
        stringData: { ".dockerconfigjson": config },
      },
      childOptions(this, kubernetesProviderOf(opts), { additionalSecretOutputs: ["data", "stringData"] }),
    );
    this.secretName = args.secretName;
    this.registerOutputs({ secretName: secret.metadata.name });
  }
}
