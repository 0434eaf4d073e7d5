/**
 * Config schema of P/D-separated inference (docs/manual-facts.md#pd-overview): `inference.nodes` (the NPU inventory for
 * inventory mode) and `inference.deployments` (one prefill/decode/scheduler set each). Defaults
 * reproduce the manual's 1p1d-tp2 example: a deployment naming only its model is that example.
 */
import { z } from "zod";
import { absolutePath, portNumber as port, placementSchema, resourcesSchema, tolerationSchema } from "../common/schemas";
import { imageRef } from "../images/config";
import { int32 } from "../common/int32";
import { vllmAscendDeploymentSchema, type VllmAscendDeploymentConfig } from "./vllmAscend/config";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv4 = z.string().regex(IPV4, { message: "must be an IPv4 address" });

/** An NPU server of inventory mode: what `hccn_tool -i N -ip -g` (or /etc/hccn.conf) reports. */
export const inferenceNodeSchema = z
  .object({
    /** The node's kubernetes.io/hostname label (pods are pinned with it). */
    hostname: z.string().min(1),
    /** The node's IP: server_id/server_ip in the rank tables, and where the instances listen (host network). */
    hostIP: ipv4,
    /** Device id → the card's RoCE IP (device_ip). Only listed cards are used by automatic packing. */
    deviceIPs: z.record(z.string().regex(/^\d+$/, { message: "device ids are non-negative integers" }), ipv4),
  })
  .strict();
export type InferenceNodeConfig = z.infer<typeof inferenceNodeSchema>;

/** One prefill or decode instance (one container, `tensorParallelSize` NPUs). */
export const instanceSchema = z
  .object({
    /** inventory mode: hostname of the node (inference.nodes[].hostname). Default: packed automatically. */
    node: z.string().min(1).optional(),
    /** inventory mode: physical device ids, like one entry of the manual's `--prefill-server-list 0,1 2,3`. */
    devices: z.array(z.number().int().min(0)).min(1).optional(),
    /** `--port`. Default: prefill k 8088+2k, decode k 8089+2k, or the next free one (step 2) on its host. */
    port: port.optional(),
    /** vLLM arguments for this instance only, appended after vllm.extraArgs (e.g. a per-instance tuning flag). */
    extraArgs: z.array(z.string()).default([]),
  })
  .strict();
export type InstanceConfig = z.infer<typeof instanceSchema>;

/** How many instances a role declares: a count, or a list of entries (both engines). */
export const countOf = (v: number | unknown[]): number => (typeof v === "number" ? v : v.length);

/** Instances per role: far beyond any NPU cluster, and it keeps the rank-table ConfigMap small. */
export const MAX_INSTANCES = 1024;

/** A count (placement automatic) or an explicit list of instances. */
const instances = z
  .union([
    z
      .number()
      .int()
      .min(1)
      .max(MAX_INSTANCES, { message: `must be at most ${MAX_INSTANCES}: every instance is its own Deployment and rank-table entry` }),
    z
      .array(instanceSchema)
      .min(1)
      .max(MAX_INSTANCES, {
        message: `must list at most ${MAX_INSTANCES} instances: every instance is its own Deployment and rank-table entry`,
      }),
  ])
  .default(1);

export const PD_DEFAULTS = {
  mountPath: "/mnt/sfs_turbo",
  llmToolsPath: "/home/ma-user/AscendCloud/AscendCloud-LLM/llm_tools",
  firstInstancePort: 8088,
  schedulerPort: 9000,
} as const;

export const pdDeploymentSchema = z
  .object({
    /** Deployment name: names the Kubernetes objects (<name>-prefill-0, <name>-scheduler, Service <name>). */
    name: z.string(),
    /** The engine profile: Huawei's AscendCloud-LLM (the manual's), the default when omitted. */
    engine: z.literal("ascendcloud-llm").optional(),
    /**
     * How instances get their NPUs. device-plugin: request NPUs, the device plugin (CCE's or MindCluster's) picks the cards,
     * rank tables are assembled at start by the rendezvous. inventory: explicit cards of inference.nodes,
     * rank tables computed at deploy time.
     */
    mode: z.enum(["device-plugin", "inventory"]).default("device-plugin"),
    /** SFS Turbo volume (storage.volumes[].name) holding the weights. Default: the first volume. */
    volume: z.string().optional(),
    /** Where the volume is mounted in every container. */
    mountPath: absolutePath.default(PD_DEFAULTS.mountPath),
    /** `--model`: the weights directory; must lie under mountPath. */
    model: absolutePath,
    /** `--served-model-name` (the OpenAI `model` field). */
    servedModelName: z.string().min(1),
    /** `--tensor-parallel-size`: NPUs per prefill and per decode instance. */
    tensorParallelSize: int32(1).default(2),
    /** Prefill (全量) instances: a count or a list. */
    prefill: instances,
    /** Decode (增量) instances: a count or a list. */
    decode: instances,
    /** vLLM 0.6.3 arguments of the P and D instances (and the scheduler). */
    vllm: z
      .object({
        /** `--max-model-len`: prompt + output tokens. */
        maxModelLen: int32(1).default(4096),
        /** `--max-num-seqs`. */
        maxNumSeqs: int32(1).default(256),
        /** `--max-num-batched-tokens`: ≥ maxModelLen (4096 or 8192 recommended) and ≥ maxNumSeqs. */
        maxNumBatchedTokens: int32(1).default(4096),
        /** `--quantization` (the weights must have been quantized first). */
        quantization: z.string().min(1).optional(),
        /** `--enable-chunked-prefill`: lifts the maxNumBatchedTokens ≥ maxModelLen rule. */
        enableChunkedPrefill: z.boolean().default(false),
        /** Further arguments appended verbatim (each one shell-quoted). */
        extraArgs: z.array(z.string()).default([]),
      })
      .strict()
      .default({}),
    /** `--prefill-batching-policy` of prefill instances: fcfs, or gtsf for high load with very uneven lengths. */
    prefillBatchingPolicy: z.enum(["fcfs", "gtsf"]).default("fcfs"),
    /** The scheduler (api-server) instance: CPU-only, the public endpoint. */
    scheduler: z
      .object({
        /** `--port`: the OpenAI endpoint (Service port too). Default 9000, or the next port free on its host(s). */
        port: port.optional(),
        /** `--prefill-routing-policy`. */
        routingPolicy: z.enum(["RoundRobin", "FreeKVFirst", "BLB"]).default("RoundRobin"),
        /** USE_OPENAI=1 (OpenAI API) or 0 (plain vLLM API). */
        useOpenAI: z.boolean().default(true),
        /** Extra no_proxy hosts (localhost, 127.0.0.1 and the P/D host IPs are always there). */
        noProxy: z.array(z.string().min(1)).default([]),
        /** inventory mode: node (inference.nodes[].hostname) it runs on. Default: the first prefill instance's node. */
        node: z.string().min(1).optional(),
        /** CPU and memory of the scheduler. */
        resources: resourcesSchema(["2", "8"], ["8Gi", "32Gi"]),
      })
      .strict()
      .default({}),
    /**
     * device-plugin mode: where the deployment's pods (instances and scheduler) may run, on top of
     * accelerator.nodeSelector and accelerator.tolerations, e.g. a node pool kept for inference.
     * Inventory mode places its pods on inference.nodes and takes no placement.
     */
    placement: placementSchema.optional(),
    /** Image of every container. Default: images.base (the manual's base image). */
    image: imageRef.optional(),
    /** LLM_TOOLS_PATH: llm_tools of AscendCloud-LLM inside the image. */
    llmToolsPath: absolutePath.default(PD_DEFAULTS.llmToolsPath),
    /** Working directory of the containers; under mountPath, never /home/ma-user. Default: mountPath. */
    workDir: absolutePath.optional(),
    /** CPU and memory of each prefill and decode instance. */
    resources: resourcesSchema(["8", "32"], ["64Gi", "256Gi"]),
    /** Extra environment variables of every container. */
    env: z.record(z.string()).default({}),
  })
  .strict();
export type PdDeploymentConfig = z.infer<typeof pdDeploymentSchema>;

/** The engine profiles of inference.deployments[] (docs/vllm-ascend.md); an entry without `engine` is ascendcloud-llm. */
export const deploymentSchema = z.discriminatedUnion("engine", [pdDeploymentSchema, vllmAscendDeploymentSchema]);
export type DeploymentConfig = PdDeploymentConfig | VllmAscendDeploymentConfig;
export const isVllmAscend = (d: DeploymentConfig): d is VllmAscendDeploymentConfig => d.engine === "vllm-ascend";
export const isAscendCloud = (d: DeploymentConfig): d is PdDeploymentConfig => d.engine !== "vllm-ascend";

export const inferenceSchema = z
  .object({
    /** NPU servers usable by inventory-mode deployments, in packing order. They belong to the stack's inventory deployments whole. */
    nodes: z.array(inferenceNodeSchema).default([]),
    /**
     * Extra tolerations of the pods on inventory nodes (instances, scheduler, NPU reservations):
     * taint the inventory nodes so other workloads stay off, and tolerate that taint here.
     */
    inventoryTolerations: z.array(tolerationSchema).default([]),
    /** P/D-separated deployments, each of one engine profile. */
    deployments: z.array(deploymentSchema).default([]),
  })
  .strict()
  .default({});
export type InferenceConfig = z.infer<typeof inferenceSchema>;
