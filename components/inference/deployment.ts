/** The Deployment shape every P/D pod of both engines has: one replica, labels and selector derived once. */
import type { DeploymentManifest, PodSpec } from "../common/kube";

export interface OneReplica {
  name: string;
  namespace: string;
  /** The pod's and the Deployment's labels. */
  labels: Record<string, string>;
  /** Labels selecting exactly this pod. */
  selector: Record<string, string>;
  /** Recreate: NPUs and host ports are exclusive, a rolling update would start the new pod on top of the old one. */
  recreate: boolean;
  pod: PodSpec;
}

export function oneReplicaDeployment(d: OneReplica): DeploymentManifest {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: d.name, namespace: d.namespace, labels: d.labels },
    spec: {
      replicas: 1,
      ...(d.recreate ? { strategy: { type: "Recreate" } } : {}),
      selector: { matchLabels: d.selector },
      template: { metadata: { labels: d.labels }, spec: d.pod },
    },
  };
}

/** imagePullSecrets of a pod spec, when there are any. */
export const pullSecretsOf = (names: string[] | undefined) => (names?.length ? { imagePullSecrets: names.map((name) => ({ name })) } : {});
