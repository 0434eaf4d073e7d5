/**
 * Pure builders for the manual's Volcano training job (docs/manual-facts.md#training-job): the ConfigMap the profile's
 * controller fills with the HCCL rank table (CCE's Volcano plugin, MindCluster's ascend-operator), and the
 * batch.volcano.sh/v1alpha1 Job. What differs per cluster profile lives in flavors.ts.
 */
import { envList, type ConfigMapManifest, type EnvVar } from "../common/kube";
import { DEFAULT_CLUSTER_PROFILE, type ClusterProfile } from "../common/profiles";
import { hostMountVolumes, TRAINING_HOST_MOUNTS } from "../common/hostMounts";
import { standardLabels } from "../common/labels";
import { avoidHosts } from "../common/placement";
import type { WorkloadInputs } from "../common/workload";
import type { TrainingJobConfig } from "./config";
import { TRAINING_FLAVORS, type TrainingFlavor } from "./flavors";
import type { VolcanoJobManifest, VolcanoTask } from "./volcanoJob";
import { rankTableConfigMapNameOf, masterAddressOf, TRAINING_TASK_NAMES } from "./names";

/** What Volcano's job mutating webhook gives a task without maxRetry. */
export const VOLCANO_DEFAULT_TASK_MAX_RETRY = 3;

/** image: job.image, the built image, or images.base; claimName: mounted at job.mountPath (the manual's ${pvc_name}). */
export interface TrainingJobInputs extends WorkloadInputs {
  job: TrainingJobConfig;
  /** Hostnames the job must not use (inventory nodes, whose cards P/D instances open by path). */
  avoidHosts?: string[];
  /** The cluster profile (cluster.profile; default cce): who writes the rank table, and the names. */
  profile?: ClusterProfile;
}

const flavorOf = (i: TrainingJobInputs): TrainingFlavor => TRAINING_FLAVORS[i.profile ?? DEFAULT_CLUSTER_PROFILE];

/** The ConfigMap the profile's controller rewrites with the rank table once the pods are placed. */
export function buildTrainingConfigMap(i: TrainingJobInputs): ConfigMapManifest {
  const { ringControllerLabel, rankTable } = flavorOf(i);
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: rankTableConfigMapNameOf(i.job.name, i.profile),
      namespace: i.namespace,
      labels: { [ringControllerLabel]: i.accelerator.profile, ...jobLabels(i.job) },
    },
    data: { [rankTable.key]: rankTable.initial },
  };
}

function jobLabels(job: TrainingJobConfig) {
  return standardLabels({ name: "volcano-training", instance: job.name, component: "training" });
}

/** Environment: the profile's own (the manual's three on CCE), then distributed-training and troubleshooting knobs. */
function trainingEnv(i: TrainingJobInputs, rankOffset: number) {
  const { job } = i;
  const env: EnvVar[] = flavorOf(i).env(i.accelerator);
  if (job.nodes > 1) {
    env.push(
      { name: "MASTER_ADDR", value: masterAddressOf(job.name, i.namespace) },
      { name: "MASTER_PORT", value: String(job.masterPort) },
      { name: "NNODES", value: String(job.nodes) },
      { name: "NPUS_PER_NODE", value: String(job.npus ?? i.accelerator.npusPerNode) },
      // Volcano sets VC_TASK_INDEX per pod; NODE_RANK = offset of the task + that index.
      { name: "NODE_RANK_OFFSET", value: String(rankOffset) },
    );
  }
  const knobs: Record<string, string> = {};
  if (job.npuAllocConf) knobs.PYTORCH_NPU_ALLOC_CONF = job.npuAllocConf;
  if (job.hccl.connectTimeoutSeconds !== undefined) knobs.HCCL_CONNECT_TIMEOUT = String(job.hccl.connectTimeoutSeconds);
  if (job.hccl.execTimeoutSeconds !== undefined) knobs.HCCL_EXEC_TIMEOUT = String(job.hccl.execTimeoutSeconds);
  return [...env, ...envList(knobs), ...envList(job.env)];
}

/**
 * The container's shell command: the user's command, preceded for multi-node jobs by the
 * NODE_RANK export, and by the manual's exit-barrier edit when that knob is set.
 */
export function trainingCommand(job: TrainingJobConfig): string {
  const prelude: string[] = [];
  if (job.nodes > 1) prelude.push("export NODE_RANK=$((${VC_TASK_INDEX:-0} + ${NODE_RANK_OFFSET:-0}))");
  if (job.exitBarrierTimeoutSeconds !== undefined) {
    // The manual edits torch/distributed/elastic/agent/server/api.py by hand; do the same edit here.
    prelude.push(
      `sed -i 's/barrier_timeout=self._exit_barrier_timeout/barrier_timeout=${job.exitBarrierTimeoutSeconds}/' ` +
        `"$(python -c 'import torch.distributed.elastic.agent.server.api as m; print(m.__file__)')"`,
    );
  }
  return prelude.length ? [...prelude, job.command].join("; ") : job.command;
}

function podTemplate(i: TrainingJobInputs, rankOffset: number): VolcanoTask["template"] {
  const { job, accelerator } = i;
  const flavor = flavorOf(i);
  const npus = String(job.npus ?? accelerator.npusPerNode);
  const host = hostMountVolumes(TRAINING_HOST_MOUNTS);
  const rankTable = flavor.rankTable.mount;
  return {
    metadata: {
      name: "training",
      labels: { app: flavor.app, [flavor.ringControllerLabel]: accelerator.profile },
    },
    spec: {
      affinity: {
        ...avoidHosts(i.avoidHosts ?? []).affinity,
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            {
              labelSelector: { matchExpressions: [{ key: "volcano.sh/job-name", operator: "In", values: [job.name] }] },
              topologyKey: "kubernetes.io/hostname",
            },
          ],
        },
      },
      hostNetwork: true,
      // Volcano's webhook sets this on host-network tasks (and the workers need it to resolve
      // MASTER_ADDR through cluster DNS); declaring it keeps re-runs free of diffs.
      dnsPolicy: "ClusterFirstWithHostNet",
      containers: [
        {
          image: i.image,
          imagePullPolicy: i.imagePullPolicy,
          name: job.containerName,
          securityContext: { allowPrivilegeEscalation: false, runAsUser: 0 },
          env: trainingEnv(i, rankOffset),
          command: ["/bin/sh", "-c"],
          args: [trainingCommand(job)],
          resources: {
            requests: { [accelerator.resourceName]: npus, memory: job.resources.memory.request, cpu: job.resources.cpu.request },
            limits: { [accelerator.resourceName]: npus, memory: job.resources.memory.limit, cpu: job.resources.cpu.limit },
          },
          volumeMounts: [
            { name: "shared-memory-volume", mountPath: "/dev/shm" },
            ...host.volumeMounts,
            { name: "sfs-volume", mountPath: job.mountPath },
            ...(rankTable ? [{ name: rankTable.volume, mountPath: rankTable.path }] : []),
          ],
        },
      ],
      ...(i.imagePullSecrets?.length ? { imagePullSecrets: i.imagePullSecrets.map((name) => ({ name })) } : {}),
      nodeSelector: accelerator.nodeSelector,
      ...(accelerator.tolerations.length ? { tolerations: accelerator.tolerations } : {}),
      volumes: [
        { name: "shared-memory-volume", emptyDir: { medium: "Memory", sizeLimit: job.shmSize } },
        ...host.volumes,
        { name: "sfs-volume", persistentVolumeClaim: { claimName: i.claimName } },
        ...(rankTable ? [{ name: rankTable.volume, configMap: { name: rankTableConfigMapNameOf(job.name, i.profile) } }] : []),
      ],
      restartPolicy: "OnFailure",
    },
  };
}

/** The Volcano Job: task "main" (1 pod) and, for N nodes, task "work" (N-1 pods). */
export function buildVolcanoJob(i: TrainingJobInputs): VolcanoJobManifest {
  const { job, accelerator } = i;
  const flavor = flavorOf(i);
  const tasks: { name: string; replicas: number; rankOffset: number }[] = [
    { name: TRAINING_TASK_NAMES.master, replicas: 1, rankOffset: 0 },
  ];
  if (job.nodes > 1) tasks.push({ name: TRAINING_TASK_NAMES.worker, replicas: job.nodes - 1, rankOffset: 1 });
  return {
    apiVersion: "batch.volcano.sh/v1alpha1",
    kind: "Job",
    metadata: {
      name: job.name,
      namespace: i.namespace,
      labels: { [flavor.ringControllerLabel]: accelerator.profile, ...flavor.jobLabels, ...jobLabels(job) },
    },
    spec: {
      minAvailable: job.minAvailable ?? job.nodes,
      schedulerName: "volcano",
      policies: [{ event: "PodEvicted", action: "RestartJob" }],
      plugins: flavor.plugins,
      maxRetry: job.maxRetry,
      queue: job.queue,
      tasks: tasks.map((t) => ({
        name: t.name,
        replicas: t.replicas,
        // Volcano's admission webhook defaults a task's minAvailable to its replicas and its
        // maxRetry to 3; declare both so the stored object equals ours and a re-run shows no diff.
        minAvailable: t.replicas,
        maxRetry: VOLCANO_DEFAULT_TASK_MAX_RETRY,
        template: podTemplate(i, t.rankOffset),
      })),
    },
  };
}
