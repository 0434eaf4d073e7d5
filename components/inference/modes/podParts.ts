/**
 * What an NPU assignment mode contributes to a P/D pod (the rest is shared): placement, the
 * wrapper's command, environment, resources and volumes. One strategy per mode: inventory
 * (static rank tables, explicit cards) and device-plugin (rendezvous at start).
 */
import type { Container, EnvVar, PodSpec, Volume, VolumeMount } from "../../common/kube";
import type { ResolvedInstance } from "../topology";
import type { PdInputs } from "../builders";

export interface PodParts {
  /** nodeSelector, affinity and tolerations. */
  placement: Pick<PodSpec, "nodeSelector" | "affinity" | "tolerations">;
  /** The container's command: the wrapper, then `--` and the server's argv. */
  command: string[];
  /** Instances: every variable but the deployment's env (which follows). Scheduler: the mode's, before the shared ones. */
  env: EnvVar[];
  resources?: Container["resources"];
  securityContext?: Container["securityContext"];
  volumes: Volume[];
  volumeMounts: VolumeMount[];
  initContainers?: Container[];
}

export interface ModeStrategy {
  /** ConfigMap data besides the wrapper script: the rank tables, or the rendezvous manifest. */
  configMapData(i: PdInputs): Record<string, string>;
  instance(i: PdInputs, x: ResolvedInstance, server: string[]): PodParts;
  scheduler(i: PdInputs, server: string[]): PodParts;
}
