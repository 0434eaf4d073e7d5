/**
 * Pure builders of the objects that keep inventory nodes' NPUs exclusive (npuOwnership.ts):
 * the ledger ConfigMap and one reservation Deployment per inventory node.
 */
import { createHash } from "node:crypto";
import type { AcceleratorConfig } from "../common/accelerator";
import { DNS1123_SUBDOMAIN, MAX_LABEL } from "../common/names";
import type { ConfigMapManifest, DeploymentManifest } from "../common/kube";
import { selectorLabels, standardLabels } from "../common/labels";
import type { Toleration } from "../common/schemas";

/** In-container paths of the exclusivity machinery (inventory instances). */
export const NPU_PATHS = {
  /** ConfigMap volume with ledger.json (updated in place, so running pods see changes). */
  ledgerDir: "/etc/ascend-stack/npu-ledger",
  /** hostPath directory with one lock file per card, shared by every inventory pod of the node. */
  lockDir: "/run/ascend-stack/npu-locks",
} as const;
export const LEDGER_KEY = "ledger.json";

/**
 * Fields of a reservation Pulumi never updates. Changing a reservation's pod template recreates its
 * pod (Recreate), and between the old pod's end and the new pod's start the node's NPU units are
 * free: any NPU pod without the stack's anti-affinity (another tool's) could be handed cards the
 * running instances use. The image only has to run `sleep`, so an image upgrade (the most common
 * change of an inference stack) must not touch the reservation (test/unit/npu-exclusivity-scenarios.test.ts).
 */
export const RESERVATION_IGNORE_CHANGES = [
  "spec.template.spec.containers[0].image",
  "spec.template.spec.containers[0].imagePullPolicy",
  "spec.template.spec.imagePullSecrets",
];

export const ledgerConfigMapNameOf = (stackId: string) => `npu-ledger-${stackId}`;

/** npu-reservation-<hostname>, or a hashed suffix when the hostname does not fit a label. */
export function reservationNameOf(hostname: string): string {
  const name = `npu-reservation-${hostname.toLowerCase()}`;
  if (name.length <= MAX_LABEL && DNS1123_SUBDOMAIN.test(name)) return name;
  return `npu-reservation-${createHash("sha256").update(hostname).digest("hex").slice(0, 12)}`;
}

export function buildNpuLedgerConfigMap(namespace: string, stackId: string, ledgerJson: string): ConfigMapManifest {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: ledgerConfigMapNameOf(stackId),
      namespace,
      labels: standardLabels({ name: "npu-ledger", instance: ledgerConfigMapNameOf(stackId), component: "npu-exclusivity" }),
    },
    data: { [LEDGER_KEY]: ledgerJson },
  };
}

export interface ReservationInputs {
  namespace: string;
  accelerator: AcceleratorConfig;
  /** kubernetes.io/hostname of the inventory node. */
  hostname: string;
  /** Any image already on the node (the inventory deployment's, pre-pulled); it only sleeps. */
  image: string;
  imagePullPolicy: string;
  imagePullSecrets?: string[];
  tolerations: Toleration[];
}

/**
 * A pod that requests every NPU of one inventory node and does nothing else: the device plugin
 * then has no card of that node left to give any other pod (training jobs, other tools' pods),
 * while the inventory instances, which request none, open their own cards by path.
 */
export function buildNpuReservation(i: ReservationInputs): DeploymentManifest {
  const name = reservationNameOf(i.hostname);
  const src = { name: "npu-reservation", instance: name, component: "npu-exclusivity" };
  const npus = { [i.accelerator.resourceName]: String(i.accelerator.npusPerNode) };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: i.namespace, labels: standardLabels(src) },
    spec: {
      replicas: 1,
      // Never two reservations at once: the second could not fit anyway.
      strategy: { type: "Recreate" },
      selector: { matchLabels: selectorLabels(src) },
      template: {
        metadata: { labels: standardLabels(src) },
        spec: {
          nodeSelector: { ...i.accelerator.nodeSelector, "kubernetes.io/hostname": i.hostname },
          ...(i.tolerations.length ? { tolerations: i.tolerations } : {}),
          containers: [
            {
              name: "hold",
              image: i.image,
              imagePullPolicy: i.imagePullPolicy,
              command: ["/bin/sh", "-c", "exec sleep infinity"],
              resources: { requests: { cpu: "10m", memory: "16Mi", ...npus }, limits: { cpu: "100m", memory: "64Mi", ...npus } },
            },
          ],
          ...(i.imagePullSecrets?.length ? { imagePullSecrets: i.imagePullSecrets.map((n) => ({ name: n })) } : {}),
          terminationGracePeriodSeconds: 5,
        },
      },
    },
  };
}
