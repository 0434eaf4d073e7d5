/**
 * The Kubernetes object types the builders return: @pulumi/kubernetes's generated input types
 * (a type-only import: builders stay plain functions), with apiVersion, kind and metadata
 * required. A misspelled field does not compile; any field may hold a pulumi.Input (e.g. an
 * image that a pending build produces), which resources accept as they are.
 */
import type * as k8s from "@pulumi/kubernetes";

type Manifest<T, V extends string, K extends string> = Omit<T, "apiVersion" | "kind" | "metadata"> & {
  apiVersion: V;
  kind: K;
  metadata: k8s.types.input.meta.v1.ObjectMeta & { name: string };
};

export type ConfigMapManifest = Manifest<k8s.types.input.core.v1.ConfigMap, "v1", "ConfigMap">;
export type ServiceManifest = Manifest<k8s.types.input.core.v1.Service, "v1", "Service">;
export type PersistentVolumeManifest = Manifest<k8s.types.input.core.v1.PersistentVolume, "v1", "PersistentVolume">;
export type PersistentVolumeClaimManifest = Manifest<k8s.types.input.core.v1.PersistentVolumeClaim, "v1", "PersistentVolumeClaim">;
export type DeploymentManifest = Manifest<k8s.types.input.apps.v1.Deployment, "apps/v1", "Deployment"> & {
  spec: k8s.types.input.apps.v1.DeploymentSpec;
};
export type DaemonSetManifest = Manifest<k8s.types.input.apps.v1.DaemonSet, "apps/v1", "DaemonSet"> & {
  spec: k8s.types.input.apps.v1.DaemonSetSpec;
};
export type NetworkPolicyManifest = Manifest<k8s.types.input.networking.v1.NetworkPolicy, "networking.k8s.io/v1", "NetworkPolicy">;
export type PodSpec = k8s.types.input.core.v1.PodSpec;
export type Container = k8s.types.input.core.v1.Container;
export type Volume = k8s.types.input.core.v1.Volume;
export type VolumeMount = k8s.types.input.core.v1.VolumeMount;
export type EnvVar = k8s.types.input.core.v1.EnvVar;

/** An env var from a field of the pod (downward API), e.g. status.hostIP. */
export const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** Env var list from a map, in key order, so the rendered order is stable. */
export function envList(env: Record<string, string>): { name: string; value: string }[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}
