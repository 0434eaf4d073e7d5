/**
 * The NetworkPolicy both engines give a P/D deployment's instances: their API ports admit the
 * router (scheduler or proxy), and the deployment's own prefill/decode pods talk to each other
 * on any port (KV transfer). Most CNIs do not isolate hostNetwork pods (docs/pd-inference.md).
 */
import type * as k8s from "@pulumi/kubernetes";
import type { NetworkPolicyManifest } from "../common/kube";
import { DEPLOYMENT_LABEL } from "./names";

export interface InstancesPolicy {
  /** The policy's name. */
  name: string;
  /** The P/D deployment's name (DEPLOYMENT_LABEL of its pods). */
  deployment: string;
  namespace: string;
  labels: Record<string, string>;
  /** Who may reach the API ports: the router's pods (and hosts). */
  router: k8s.types.input.networking.v1.NetworkPolicyPeer[];
  /** The instances' API ports. */
  ports: number[];
}

export function instancesNetworkPolicy(p: InstancesPolicy): NetworkPolicyManifest {
  const instances = {
    podSelector: {
      matchLabels: { [DEPLOYMENT_LABEL]: p.deployment },
      matchExpressions: [{ key: "app.kubernetes.io/component", operator: "In", values: ["prefill", "decode"] }],
    },
  };
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: p.name, namespace: p.namespace, labels: p.labels },
    spec: {
      podSelector: instances.podSelector,
      policyTypes: ["Ingress"],
      ingress: [{ from: p.router, ports: p.ports.map((port) => ({ protocol: "TCP", port })) }, { from: [instances] }],
    },
  };
}
