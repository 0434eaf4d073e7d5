/**
 * Reading what Volcano made of a training job in the test cluster: its pods, PodGroup, the svc
 * plugin's objects and the rank table the configmap1980 stand-in writes.
 */
import { execFileSync } from "node:child_process";
import { kubectl } from "./harness";

export interface TrainingPod {
  name: string;
  task: string;
  node: string;
  hostIP: string;
  podIP: string;
  phase: string;
  scheduled: boolean;
  env: any[];
  args: string[];
  devices: { device_id: string; device_ip: string }[];
}

/** The job's live pods, main first (as the job's NODE_RANK order). */
export function trainingPods(namespace: string, job: string): TrainingPod[] {
  const items = JSON.parse(kubectl("-n", namespace, "get", "pods", "-l", `volcano.sh/job-name=${job}`, "-o", "json")).items as any[];
  return items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => {
      const annotation = p.metadata.annotations?.["cce.kubectl.kubernetes.io/ascend-1980-configuration"];
      return {
        name: p.metadata.name,
        task: p.metadata.labels["volcano.sh/task-spec"],
        node: p.spec.nodeName ?? "",
        hostIP: p.status.hostIP ?? "",
        podIP: p.status.podIP ?? "",
        phase: p.status.phase,
        scheduled: (p.status.conditions ?? []).some((c: any) => c.type === "PodScheduled" && c.status === "True"),
        env: p.spec.containers[0].env,
        args: p.spec.containers[0].args,
        devices: annotation ? JSON.parse(annotation).devices : [],
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The PodGroups Volcano's job controller made for the job. */
export function podGroupsOf(namespace: string, job: string): any[] {
  const items = JSON.parse(kubectl("-n", namespace, "get", "podgroups.scheduling.volcano.sh", "-o", "json")).items as any[];
  return items.filter((g) => g.metadata.ownerReferences?.some((o: any) => o.kind === "Job" && o.name === job));
}

/** The parsed content of configmap1980-<job>'s jobstart_hccl.json. */
export function rankTable(namespace: string, job: string): any {
  const cm = JSON.parse(kubectl("-n", namespace, "get", "configmap", `configmap1980-${job}`, "-o", "json"));
  return JSON.parse(cm.data["jobstart_hccl.json"]);
}

/** The value of a pod's env entry as the kubelet resolves it (literal, field or ConfigMap key). */
function resolveEnv(namespace: string, pod: TrainingPod, entry: any): string {
  if (entry.value !== undefined) return entry.value;
  const field = entry.valueFrom?.fieldRef?.fieldPath;
  if (field === "metadata.name") return pod.name;
  if (field === "status.hostIP") return pod.hostIP;
  const key = entry.valueFrom?.configMapKeyRef;
  if (key) return JSON.parse(kubectl("-n", namespace, "get", "configmap", key.name, "-o", "json")).data[key.key];
  throw new Error(`pod ${pod.name}: cannot resolve env ${entry.name}`);
}

/**
 * Runs the pod's container command (`/bin/sh -c <args[0]>`) with the pod's environment, the
 * user's training command replaced by `echo` of `variable`: what the shell in the container
 * would compute for it before training starts.
 */
export function evaluateInPodShell(namespace: string, pod: TrainingPod, userCommand: string, variable: string): string {
  const script = pod.args[0];
  if (!script.endsWith(userCommand)) throw new Error(`pod ${pod.name}: args[0] does not end with the job's command: ${script}`);
  const probe = script.slice(0, script.length - userCommand.length) + `echo "$${variable}"`;
  const env = Object.fromEntries(pod.env.map((e) => [e.name, resolveEnv(namespace, pod, e)]));
  return execFileSync("/bin/sh", ["-c", probe], { encoding: "utf8", env: { PATH: "/usr/bin:/bin", ...env } }).trim();
}
