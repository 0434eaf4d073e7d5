import { z } from "zod";
import { int32 } from "../common/int32";
import { quantity, resourcesSchema } from "../common/schemas";
import { imageRef } from "../images/config";

export const trainingJobSchema = z
  .object({
    /** Job name; also names the ConfigMap "configmap1980-<name>", the pods and Volcano's Service. */
    name: z.string(),
    /** Number of nodes (one pod per node): 1 → task "main"; N → "main" (1) + "work" (N-1). */
    nodes: int32(1).default(1),
    /**
     * Pods that must be schedulable together (gang). Default: nodes. The manual writes 1, which
     * cannot gang-schedule a multi-node job: a partial job would hold NPUs and wait forever.
     */
    minAvailable: int32(1).optional(),
    /** Image; default the built training image if enabled, else images.base. */
    image: imageRef.optional(),
    /** Container name (the manual's ${container_name}). */
    containerName: z.string().default("ascendspeed"),
    /** Shell command run in the container (the manual's ${command}). */
    command: z.string().min(1),
    /** NPUs per pod; default the whole node (accelerator.npusPerNode). */
    npus: int32(1).optional(),
    /** CPU and memory; the manual reads them from `kubectl describe node`. */
    resources: resourcesSchema(["2650m", "192"], ["3200Mi", "1500Gi"]),
    /** Size limit of the in-memory /dev/shm. */
    shmSize: quantity.default("200Gi"),
    /** SFS Turbo volume (storage.volumes[].name) to mount; default the first volume. */
    volume: z.string().optional(),
    /** Where the volume is mounted in the container. */
    mountPath: z.string().startsWith("/", { message: "must be an absolute path" }).default("/mnt/sfs_turbo"),
    /** Volcano queue. */
    queue: z.string().default("default"),
    /** Volcano maxRetry. */
    maxRetry: int32(0).default(5),
    /** Port of the torch distributed rendezvous on the main pod (MASTER_PORT). */
    masterPort: z.number().int().min(1024).max(65535).default(29500),
    /** Extra environment variables. */
    env: z.record(z.string()).default({}),
    /** PYTORCH_NPU_ALLOC_CONF; "expandable_segments:True" is the manual's fix for NPU out-of-memory. */
    npuAllocConf: z.string().optional(),
    /** HCCL timeouts in seconds (HCCL_CONNECT_TIMEOUT, HCCL_EXEC_TIMEOUT) for large multi-node jobs. */
    hccl: z
      .object({
        connectTimeoutSeconds: z.number().int().min(120).max(7200).optional(),
        execTimeoutSeconds: z.number().int().min(0).max(17340).optional(),
      })
      .strict()
      .default({}),
    /**
     * torch elastic exit-barrier timeout in seconds (default 300 in torch). The manual's fix for
     * "Error waiting on exit barrier" edits torch's agent; when set, the job does that edit before the command.
     */
    exitBarrierTimeoutSeconds: int32(1).optional(),
  })
  .strict();
export type TrainingJobConfig = z.infer<typeof trainingJobSchema>;

export const trainingSchema = z
  .object({ jobs: z.array(trainingJobSchema).default([]) })
  .strict()
  .default({});
export type TrainingConfig = z.infer<typeof trainingSchema>;
