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

/**
 * The pod settings of every P/D instance (both engines) and the AscendCloud-LLM scheduler: the host
 * network (the peers reach each other by node IP, as in the manual's and the tutorials' `--net=host`),
 * cluster DNS from there, and a minute to stop.
 */
export const HOST_NETWORK_POD = { hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet", terminationGracePeriodSeconds: 60 } as const;

/** imagePullSecrets of a pod spec, when there are any. */
export const pullSecretsOf = (names: string[] | undefined) => (names?.length ? { imagePullSecrets: names.map((name) => ({ name })) } : {});
