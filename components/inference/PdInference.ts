import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { WorkloadArgs } from "../common/workload";
import { childOptions, kubernetesProviderOf } from "../common/component";
import {
  buildConfigMap,
  buildInstanceDeployment,
  buildNetworkPolicy,
  buildSchedulerDeployment,
  buildService,
  topologyOutput,
  type PdInputs,
} from "./builders";
import type { Toleration } from "../common/schemas";
import { nodePortsOf, type ResolvedDeployment } from "./topology";

/** claimName: the SFS Turbo volume holding the weights and the work dir. */
export interface PdInferenceArgs extends WorkloadArgs {
  /** The resolved deployment (placement and ports decided by resolveInference). */
  deployment: ResolvedDeployment;
  /** Hostnames of inventory-mode nodes, which device-plugin pods avoid. */
  inventoryHosts?: string[];
  /** The stack's identity (stackIdOf): scopes the rendezvous dir, names the NPU ledger. */
  stackId: string;
  /** Extra tolerations of inventory-mode pods. */
  inventoryTolerations?: Toleration[];
  /** Resources the instances wait for (the image pre-pull). */
  dependsOn?: pulumi.Resource[];
  /** More resources only the prefill/decode instances wait for (inventory: the NPU ledger and node reservations). */
  instancesDependOn?: pulumi.Resource[];
}

// Weights load for minutes; the provider waits for readiness this long before failing.
const LOAD_TIMEOUTS = { create: "40m", update: "40m" };

type Spec = k8s.types.input.apps.v1.DeploymentSpec;

/**
 * One P/D-separated deployment (SPEC §4): rank-table ConfigMap, one Deployment per prefill and
 * decode instance, the scheduler Deployment, its Service and a NetworkPolicy. In inventory mode
 * the scheduler is created after the instances are ready (the manual's start order); in
 * device-plugin mode the scheduler's own address is part of every rank table, so it starts with
 * them and its rendezvous waits for the instances' ports instead (docs/pd-inference.md).
 */
export class PdInference extends pulumi.ComponentResource {
  /** The OpenAI endpoint: <service>.<namespace>.svc.cluster.local:<port>. */
  public readonly endpoint: pulumi.Output<string>;
  /** NODE_PORTS of the scheduler (prefill ports, then decode ports). */
  public readonly nodePorts: pulumi.Output<string>;
  /** Instances with node, devices and ports where known at deploy time. */
  public readonly topology: pulumi.Output<ReturnType<typeof topologyOutput>>;

  constructor(name: string, args: PdInferenceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ascend:inference:PdInference", name, {}, opts);
    const provider = kubernetesProviderOf(opts);
    const dep = args.deployment;
    const staticInputs: PdInputs = {
      deployment: dep,
      namespace: args.namespace,
      accelerator: args.accelerator,
      image: "",
      imagePullPolicy: args.imagePullPolicy,
      claimName: "",
      inventoryHosts: args.inventoryHosts ?? [],
      stackId: args.stackId,
      inventoryTolerations: args.inventoryTolerations ?? [],
    };
    const inputs = pulumi
      .all([args.image, args.claimName, pulumi.all(args.imagePullSecrets ?? [])])
      .apply(([image, claimName, imagePullSecrets]): PdInputs => ({ ...staticInputs, image, claimName, imagePullSecrets }));

    const cm = buildConfigMap(staticInputs);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-ranktable`,
      cm as k8s.core.v1.ConfigMapArgs,
      // A data change updates it in place (the provider treats ConfigMaps as mutable): running
      // pods see the new tables through their volume. A replacement (a rename) deletes first:
      // the name is fixed, pods mount it by name.
      childOptions(this, provider, { deleteBeforeReplace: true }),
    );
    const after = [...(args.dependsOn ?? []), configMap];

    const instances = dep.instances.map((x) => {
      const meta = buildInstanceDeployment(staticInputs, x).metadata;
      return new k8s.apps.v1.Deployment(
        `${name}-${x.role}-${x.index}`,
        { metadata: meta, spec: inputs.apply((i) => buildInstanceDeployment(i, x).spec as Spec) },
        childOptions(this, provider, { dependsOn: [...after, ...(args.instancesDependOn ?? [])], customTimeouts: LOAD_TIMEOUTS }),
      );
    });
    const schedulerAfter = dep.config.mode === "inventory" ? [...after, ...instances] : after;
    const scheduler = new k8s.apps.v1.Deployment(
      `${name}-scheduler`,
      { metadata: buildSchedulerDeployment(staticInputs).metadata, spec: inputs.apply((i) => buildSchedulerDeployment(i).spec as Spec) },
      childOptions(this, provider, { dependsOn: schedulerAfter, customTimeouts: LOAD_TIMEOUTS }),
    );
    const svcObject = buildService(staticInputs);
    const service = new k8s.core.v1.Service(`${name}-service`, svcObject as k8s.core.v1.ServiceArgs, childOptions(this, provider, { dependsOn: [scheduler] }));
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, buildNetworkPolicy(staticInputs) as k8s.networking.v1.NetworkPolicyArgs, childOptions(this, provider));

    this.endpoint = pulumi.interpolate`${service.metadata.name}.${args.namespace}.svc.cluster.local:${dep.scheduler.port}`;
    this.nodePorts = pulumi.output(nodePortsOf(dep));
    this.topology = pulumi.output(topologyOutput(dep));
    this.registerOutputs({ endpoint: this.endpoint, nodePorts: this.nodePorts, topology: this.topology });
  }
}
