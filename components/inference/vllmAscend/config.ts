/**
 * Config schema of the `vllm-ascend` engine profile of `inference.deployments[]` (docs/vllm-ascend.md):
 * upstream vllm-ascend's disaggregated prefill with a Mooncake KV connector. Each instance is one
 * data-parallel group on one node (`dataParallelSize` × `tensorParallelSize` NPUs); its ports,
 * connector JSON, environment and the router's host lists are derived.
 */
import { z } from "zod";
import { absolutePath, portNumber, placementSchema, resourcesSchema } from "../../common/schemas";
import { int32 } from "../../common/int32";
import { imageRef } from "../../images/config";

/** The two Mooncake connectors vllm-ascend registers by name, and how each moves the KV cache. */
export const CONNECTORS = ["MooncakeConnectorV1", "MooncakeLayerwiseConnector"] as const;
export type ConnectorKind = (typeof CONNECTORS)[number];

/** Instances per role: one Deployment and one headless Service each. */
export const MAX_VLLM_INSTANCES = 256;

export const VLLM_DEFAULTS = {
  mountPath: "/mnt/sfs_turbo",
  /** vllm-ascend's image at the release this profile follows (its tutorials' `{{ vllm_ascend_version }}`). */
  image: "quay.io/ascend/vllm-ascend:v0.13.0",
  apiPort: 8100,
  dataParallelRpcPort: 12321,
  proxyPort: 8000,
  networkInterface: "eth0",
  /** HCCL_BUFFSIZE (MB) of the multi-node tutorial: prefill 256, decode 600. */
  hcclBuffSize: { prefill: 256, decode: 600 },
  /** HCCL timeouts (s) of vllm-ascend's Mooncake deployment guide. */
  hcclConnectTimeout: 120,
  hcclExecTimeout: 204,
  /** The proxies ship in the image with the vllm-ascend sources. */
  examplesDir: "/vllm-workspace/vllm-ascend/examples/disaggregated_prefill_v1",
} as const;

/** One instance entry: a data-parallel group on one node. */
export const vllmInstanceSchema = z
  .object({
    /** vLLM arguments for this instance only, appended after the deployment's and the role's. */
    extraArgs: z.array(z.string()).default([]),
  })
  .strict();

const instances = z
  .union([
    z
      .number()
      .int()
      .min(1)
      .max(MAX_VLLM_INSTANCES, { message: `must be at most ${MAX_VLLM_INSTANCES}: every instance is its own Deployment and Service` }),
    z
      .array(vllmInstanceSchema)
      .min(1)
      .max(MAX_VLLM_INSTANCES, {
        message: `must list at most ${MAX_VLLM_INSTANCES} instances: every instance is its own Deployment and Service`,
      }),
  ])
  .default(1);

const roleSchema = (role: "prefill" | "decode") =>
  z
    .object({
      /** Instances of this role: a count, or a list (per-instance extraArgs). */
      instances,
      /** `--tensor-parallel-size` of each server; the connector's `tp_size` of this role. */
      tensorParallelSize: int32(1).default(1),
      /** Servers per instance (external data parallelism, one `vllm serve` each, consecutive API ports); the connector's `dp_size`. */
      dataParallelSize: int32(1).default(1),
      /** `--max-num-seqs` (vLLM's default when omitted). */
      maxNumSeqs: int32(1).optional(),
      /** `--max-num-batched-tokens` (vLLM's default when omitted). */
      maxNumBatchedTokens: int32(1).optional(),
      /** HCCL_BUFFSIZE in MB. */
      hcclBuffSize: int32(1).default(VLLM_DEFAULTS.hcclBuffSize[role]),
      /** vLLM arguments of this role's servers, after the deployment's extraArgs. */
      extraArgs: z.array(z.string()).default([]),
      /** CPU and memory of each instance's pod. */
      resources: resourcesSchema(["8", "32"], ["64Gi", "256Gi"]),
    })
    .strict()
    .default({});

export const vllmAscendDeploymentSchema = z
  .object({
    /** Deployment name: names the Kubernetes objects (<name>-prefill-0, <name>-proxy, Service <name>). */
    name: z.string(),
    /** The engine profile: upstream vllm-ascend with a Mooncake connector. */
    engine: z.literal("vllm-ascend"),
    /** The vllm-ascend image of every container (the proxy runs the example script it ships). */
    image: imageRef.default(VLLM_DEFAULTS.image),
    /** SFS Turbo volume (storage.volumes[].name) holding the weights. Default: the first volume. */
    volume: z.string().optional(),
    /** Where the volume is mounted in every instance. */
    mountPath: absolutePath.default(VLLM_DEFAULTS.mountPath),
    /** The weights directory (`vllm serve <model>`); must lie under mountPath. */
    model: absolutePath,
    /** `--served-model-name` (the OpenAI `model` field). */
    servedModelName: z.string().min(1),
    /** The KV connector: MooncakeConnectorV1 (decode pulls after prefill) or MooncakeLayerwiseConnector (prefill pushes layer by layer). */
    connector: z.enum(CONNECTORS).default("MooncakeConnectorV1"),
    /** Prefill instances (kv_producer). */
    prefill: roleSchema("prefill"),
    /** Decode instances (kv_consumer). */
    decode: roleSchema("decode"),
    /** `--max-model-len` of every server (vLLM's default when omitted). */
    maxModelLen: int32(1).optional(),
    /** vLLM arguments of every server (each one an argv element). */
    extraArgs: z.array(z.string()).default([]),
    /** Port bases; every instance's ports are derived from them (docs/vllm-ascend.md#ports). */
    ports: z
      .object({
        /** First API port: instance slot s (prefill k: 2k, decode k: 2k+1) serves on api + 100·s … + dataParallelSize − 1. */
        api: portNumber.default(VLLM_DEFAULTS.apiPort),
        /** First kv_port: slot s gets kv + 100·s. Default: the floor above Mooncake's transport range, 20000 + 1000 × accelerator.npusPerNode. */
        kv: portNumber.optional(),
        /** First --data-parallel-rpc-port: slot s gets dataParallelRpc + s (instances with dataParallelSize > 1). */
        dataParallelRpc: portNumber.default(VLLM_DEFAULTS.dataParallelRpcPort),
        /** The proxy's port, and the Service's. */
        proxy: portNumber.default(VLLM_DEFAULTS.proxyPort),
      })
      .strict()
      .default({}),
    /** The node NIC of GLOO_SOCKET_IFNAME, TP_SOCKET_IFNAME and HCCL_SOCKET_IFNAME. */
    networkInterface: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,15}$/, { message: "must be a network interface name (1-15 letters, digits, _ . : -)" })
      .default(VLLM_DEFAULTS.networkInterface),
    /** HCCL settings of every instance. */
    hccl: z
      .object({
        /** HCCL_CONNECT_TIMEOUT in seconds. */
        connectTimeout: int32(1).default(VLLM_DEFAULTS.hcclConnectTimeout),
        /** HCCL_EXEC_TIMEOUT in seconds. */
        execTimeout: int32(1).default(VLLM_DEFAULTS.hcclExecTimeout),
        /** HCCL_INTRA_ROCE_ENABLE=1: auto sets it when a prefill and a decode instance fit on one node together (they may share a host). */
        intraRoce: z.enum(["auto", "on", "off"]).default("auto"),
      })
      .strict()
      .default({}),
    /** The router: vllm-ascend's load-balancing proxy, CPU-only, behind the Service. */
    proxy: z
      .object({
        /** CPU and memory of the proxy. */
        resources: resourcesSchema(["1", "4"], ["2Gi", "8Gi"]),
      })
      .strict()
      .default({}),
    /** Where the pods may run, on top of accelerator.nodeSelector and accelerator.tolerations. */
    placement: placementSchema.optional(),
    /** Extra environment variables of every instance (they override the tutorial's defaults, not the derived ones). */
    env: z.record(z.string()).default({}),
  })
  .strict();
export type VllmAscendDeploymentConfig = z.infer<typeof vllmAscendDeploymentSchema>;
