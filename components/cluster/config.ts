import { z } from "zod";
import { CLUSTER_PROFILES, DEFAULT_CLUSTER_PROFILE } from "../common/profiles";

/** How to reach the cluster. Every resource uses one explicit provider built from this. */
export const clusterSchema = z
  .object({
    /**
     * The Ascend software the cluster runs (docs/cluster-profiles.md): `cce` (Huawei Cloud CCE: its
     * Volcano add-on, device plugin and Everest SFS Turbo) or `mindcluster` (any Kubernetes with
     * upstream Volcano and MindCluster). Decides the NPU names and the training job's shape.
     */
    profile: z.enum(CLUSTER_PROFILES).default(DEFAULT_CLUSTER_PROFILE),
    /** Path to a kubeconfig file (or its YAML text). Default: the ambient KUBECONFIG / ~/.kube/config. */
    kubeconfig: z.string().min(1).optional(),
    /** kubeconfig context to use. Default: the kubeconfig's current context. */
    context: z.string().min(1).optional(),
    /** Namespace for every namespaced object of this stack. */
    namespace: z.string().default("default"),
    /** Create the namespace (false when it already exists, e.g. "default"). */
    createNamespace: z.boolean().default(false),
    /** Write manifests to this directory instead of applying them (the provider's render mode). */
    renderYamlToDirectory: z.string().min(1).optional(),
    /**
     * Checks of the target cluster before anything is registered (docs/preflight.md): `enforce`
     * fails the preview (and `up`) on an error, `advisory` only reports, `off` skips them.
     */
    preflight: z.enum(["enforce", "advisory", "off"]).default("enforce"),
    /** `pulumi up` fails fast, with the reason, when a pod it creates cannot be scheduled or started. */
    failFast: z
      .object({
        /** Watch the pods the update creates (off: wait for the provider's timeouts, up to 40 minutes). */
        enabled: z.boolean().default(true),
        /** How long a new pod may stay unschedulable or stuck before its containers start (bad image, missing secret). */
        timeoutSeconds: z.number().int().min(10).max(86400).default(180),
        /** Hold `pulumi up` until Volcano has placed every new training job's pods (needs Volcano's controller). */
        awaitTrainingJobs: z.boolean().default(true),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});

export type ClusterConfig = z.infer<typeof clusterSchema>;
