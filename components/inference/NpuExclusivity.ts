import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { AcceleratorConfig } from "../common/accelerator";
import { childOptions, kubernetesProviderOf } from "../common/component";
import type { Toleration } from "../common/schemas";
import type { InferenceNodeConfig } from "./config";
import { buildNpuLedgerConfigMap, buildNpuReservation, RESERVATION_IGNORE_CHANGES } from "./reservation";

export interface NpuExclusivityArgs {
  /** Namespace of the ledger and the reservations. */
  namespace: string;
  /** The stack's identity (names the ledger). */
  stackId: string;
  /** The ledger file (npuLedgerFile): card -> owning instance per inventory node. */
  ledgerJson: string;
  /** Inventory nodes with at least one instance: one reservation each. Decides how many exist. */
  nodes: InferenceNodeConfig[];
  /** Image of each node's reservation pod, by hostname (one the node pre-pulls anyway). */
  images: Record<string, string>;
  /** NPU resource name, node selector and NPUs per node. */
  accelerator: AcceleratorConfig;
  /** imagePullPolicy of the reservation pods. */
  imagePullPolicy: string;
  /** Pull secret names. */
  imagePullSecrets: string[];
  /** Tolerations of pods on inventory nodes. */
  tolerations: Toleration[];
  /** Resources to create first (the image pre-pull). */
  dependsOn?: pulumi.Resource[];
}

// A reservation that cannot be scheduled (another pod holds NPUs of the node) must fail the
// deploy soon, not after the provider's default 10 minutes.
const RESERVATION_TIMEOUTS = { create: "5m", update: "5m" };

/**
 * The NPU ledger and the per-node reservations of the stack's inventory deployments
 * (npuOwnership.ts). Inventory instances depend on it: they start only once their node is held
 * whole and the ledger names them as the owners of their cards.
 */
export class NpuExclusivity extends pulumi.ComponentResource {
  constructor(name: string, args: NpuExclusivityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ascend:inference:NpuExclusivity", name, {}, opts);
    const provider = kubernetesProviderOf(opts);
    // Updated in place (never replaced): running instances watch its mounted file.
    const ledger = new k8s.core.v1.ConfigMap(
      `${name}-ledger`,
      buildNpuLedgerConfigMap(args.namespace, args.stackId, args.ledgerJson),
      childOptions(this, provider, { dependsOn: args.dependsOn }),
    );
    for (const node of args.nodes) {
      const object = buildNpuReservation({ ...args, hostname: node.hostname, image: args.images[node.hostname] });
      new k8s.apps.v1.Deployment(
        `${name}-${node.hostname}`,
        object,
        // An image upgrade must not recreate the reservation pod: its node's units would be free meanwhile.
        childOptions(this, provider, {
          dependsOn: [ledger, ...(args.dependsOn ?? [])],
          customTimeouts: RESERVATION_TIMEOUTS,
          ignoreChanges: RESERVATION_IGNORE_CHANGES,
        }),
      );
    }
    this.registerOutputs({ ledger: ledger.metadata.name, reservations: args.nodes.map((n) => n.hostname) });
  }
}
