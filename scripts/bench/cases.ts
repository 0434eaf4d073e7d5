/**
 * The benchmark's stacks. Each case is a stack config (without the `ascend-stack:` prefix) for a
 * namespace; the same config, rendered, is what kubectl applies.
 */
import * as path from "node:path";
import { BENCH_CLAIM } from "./steps";

export interface BenchCase {
  /** Short id: stack and namespace names derive from it. */
  id: string;
  /** What the table's first column says. */
  label: string;
  /** The stack's sections for a namespace. */
  sections(namespace: string): Record<string, unknown>;
  /**
   * `pulumi up` waits for Deployments to become available; kubectl's side then runs
   * `kubectl wait --for=condition=Available` after its apply, so both sides wait for the same thing.
   */
  awaitsDeployments: boolean;
}

function clusterSection(namespace: string): Record<string, unknown> {
  const clusterDir = process.env.ASCEND_CLUSTER_DIR ?? path.resolve(__dirname, "../../.local/cluster");
  return {
    kubeconfig: path.join(clusterDir, "kubeconfig"),
    context: "ascend-local",
    namespace,
    // The namespace is created beforehand, outside the timings, for Pulumi and kubectl alike,
    // so both sides handle exactly the same objects.
    createNamespace: false,
    // kubectl does not wait for Volcano to place the jobs' pods either: `up` is timed without it.
    failFast: { awaitTrainingJobs: false },
    // The training case asks for far more NPUs than the kwok nodes have (its jobs never run):
    // preflight still runs, and is timed, but only reports.
    preflight: "advisory",
  };
}

const common = {
  // `existing` creates nothing: the only objects are the workloads' (steps.ts makes the claim).
  storage: { volumes: [{ name: BENCH_CLAIM, type: "existing" }] },
  // No pre-pull DaemonSet: `up` would wait for it to roll out on every node.
  images: { prePull: { enabled: false } },
};

/** n/2 training jobs, each a ConfigMap and a Volcano Job: exactly n Kubernetes objects. */
export function trainingCase(n: number): BenchCase {
  if (!Number.isInteger(n) || n < 2 || n % 2) throw new Error(`BENCH_SIZES: ${n} is not an even number >= 2 (each job is 2 objects)`);
  return {
    id: `t${n}`,
    label: `${n} (training jobs)`,
    awaitsDeployments: false,
    sections: (namespace) => ({
      cluster: clusterSection(namespace),
      ...common,
      training: {
        jobs: Array.from({ length: n / 2 }, (_, i) => ({ name: `bench-${String(i).padStart(3, "0")}`, command: "sleep infinity" })),
      },
    }),
  };
}

/** One device-plugin P/D deployment of `instances` instances (half prefill, half decode), one NPU each. */
export function pdDeployment(instances: number): Record<string, unknown> {
  return {
    name: "bench-pd",
    mode: "device-plugin",
    model: "/mnt/sfs_turbo/models/bench",
    servedModelName: "bench",
    tensorParallelSize: 1,
    prefill: Math.ceil(instances / 2),
    decode: Math.floor(instances / 2),
  };
}

/**
 * One P/D deployment with 16 instances (8 prefill, 8 decode, one NPU each) in device-plugin mode:
 * its ConfigMap, 16 instance Deployments, the scheduler's Deployment, Service and NetworkPolicy.
 * The kubectl side runs after the Pulumi side's namespace is gone: instances hold host ports.
 */
export function pdCase(): BenchCase {
  return {
    id: "pd16",
    label: "P/D, 16 instances",
    awaitsDeployments: true,
    sections: (namespace) => ({
      cluster: clusterSection(namespace),
      ...common,
      inference: {
        deployments: [{ ...pdDeployment(16), resources: { cpu: { request: "1", limit: "4" }, memory: { request: "1Gi", limit: "4Gi" } } }],
      },
    }),
  };
}
