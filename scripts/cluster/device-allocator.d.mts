// Types for device-allocator.mjs so the TypeScript unit tests can import it under strict mode.

export declare const RESOURCE: "huawei.com/ascend-1980";
export declare const ANNOTATION: "cce.kubectl.kubernetes.io/ascend-1980-configuration";
export declare const MINDCLUSTER_RESOURCE: "huawei.com/Ascend910";
export declare const MINDCLUSTER_ANNOTATION: "ascend.kubectl.kubernetes.io/ascend-910-configuration";
export declare const DEVICES_PER_NODE: number;

export interface Device {
  device_id: string;
  device_ip: string;
}

export interface NodeState {
  index: number;
  ip: string;
  used?: Iterable<string | number>;
  total?: number;
}

// Pods are plain Kubernetes JSON objects; only a few fields are read.
export type PodLike = Record<string, any>;

export declare function requestedDevices(pod: PodLike): number;
export declare function nodeIndexOf(nodeName: string): number;
export declare function deviceIp(nodeIndex: number, id: number | string): string;
export declare function devicesFromAnnotation(value: string | undefined): string[];
export declare function allocationAnnotationOf(pod: PodLike): string | undefined;
/** annotation: the JSON of the chips; annotations: everything the profile's plugin writes on the pod. */
export declare function allocate(
  nodeState: NodeState,
  pod: PodLike,
): { devices: Device[]; annotation: string; annotations: Record<string, string> } | null;
