/** Pure builders for image distribution: the pre-pull DaemonSet and the registry pull secret. */
import type { DaemonSetManifest } from "../common/kube";
import { selectorLabels, standardLabels } from "../common/labels";

export interface PrePullInputs {
  /** Component name; names the DaemonSet. */
  name: string;
  namespace: string;
  /** Images every accelerator node must hold, in pull order (deduplicated by the caller). */
  images: string[];
  nodeSelector: Record<string, string>;
  imagePullPolicy: string;
  imagePullSecrets?: string[];
}

/**
 * One init container per image pulls it (and exits at once); a tiny long-running container
 * from the first image keeps the pod Ready, so the DaemonSet's rollout - which `pulumi up`
 * waits for - completes only when every matching node holds every image. No extra image
 * (such as pause) is needed on air-gapped clusters.
 */
export function buildPrePullDaemonSet(i: PrePullInputs): DaemonSetManifest {
  if (i.images.length === 0) throw new Error("buildPrePullDaemonSet: no images to pull");
  const src = prePullLabelSource(i.name);
  const small = { requests: { cpu: "10m", memory: "16Mi" }, limits: { cpu: "100m", memory: "64Mi" } };
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: prePullMetadata(i.name, i.namespace),
    spec: {
      selector: { matchLabels: selectorLabels(src) },
      updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "100%" } },
      template: {
        metadata: { labels: standardLabels(src) },
        spec: {
          nodeSelector: i.nodeSelector,
          // Accelerator nodes are often tainted for NPU workloads only; the pull must still land there.
          tolerations: [{ operator: "Exists" }],
          initContainers: i.images.map((image, n) => ({
            name: `pull-${n}`,
            image,
            imagePullPolicy: i.imagePullPolicy,
            command: ["/bin/sh", "-c", "true"],
            resources: small,
          })),
          containers: [
            {
              name: "hold",
              image: i.images[0],
              imagePullPolicy: i.imagePullPolicy,
              command: ["/bin/sh", "-c", "sleep infinity"],
              resources: small,
            },
          ],
          ...(i.imagePullSecrets?.length ? { imagePullSecrets: i.imagePullSecrets.map((name) => ({ name })) } : {}),
          terminationGracePeriodSeconds: 1,
        },
      },
    },
  };
}

function prePullLabelSource(name: string) {
  return { name: "image-prepull", instance: name, component: "image-prepull" };
}

/** The DaemonSet's metadata; independent of the images so it is known at preview. */
export function prePullMetadata(name: string, namespace: string) {
  return { name, namespace, labels: standardLabels(prePullLabelSource(name)) };
}

/** The `.dockerconfigjson` for a registry login; the caller wraps it in a Pulumi secret. */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`).toString("base64");
  return JSON.stringify({ auths: { [server]: { username, password, auth } } });
}
