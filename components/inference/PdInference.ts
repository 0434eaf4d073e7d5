import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
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
import { nodePortsOf } from "./topology";

/**
 * The builders' inputs (the resolved deployment, image, claim of the weights' volume, ...), plus
 * what the instances wait for.
 */
export interface PdInferenceArgs extends PdInputs {
  /** Resources every child waits for (namespace, pull secret, image pre-pull). */
  dependsOn?: pulumi.Resource[];
  /** More resources only the prefill/decode instances wait for (inventory: the NPU ledger and node reservations). */
  instancesDependOn?: pulumi.Resource[];
}

// Weights load for minutes; the provider waits for readiness this long before failing.
const LOAD_TIMEOUTS = { create: "40m", update: "40m" };

/**
 * One P/D-separated deployment: rank-table ConfigMap, one Deployment per prefill and decode
 * instance, the scheduler Deployment, its Service and a NetworkPolicy. In inventory mode the
 * scheduler is created after the instances are ready (the manual's start order); in
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
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-ranktable`,
      buildConfigMap(args),
      // A data change updates it in place (the provider treats ConfigMaps as mutable): running
      // pods see the new tables through their volume. A replacement (a rename) deletes first:
      // the name is fixed, pods mount it by name.
      childOptions(this, provider, { deleteBeforeReplace: true }),
    );
    const after = [...(args.dependsOn ?? []), configMap];
    const instances = dep.instances.map(
      (x) =>
        new k8s.apps.v1.Deployment(
          `${name}-${x.role}-${x.index}`,
          buildInstanceDeployment(args, x),
          childOptions(this, provider, { dependsOn: [...after, ...(args.instancesDependOn ?? [])], customTimeouts: LOAD_TIMEOUTS }),
        ),
    );
    const schedulerAfter = dep.config.mode === "inventory" ? [...after, ...instances] : after;
    const scheduler = new k8s.apps.v1.Deployment(
      `${name}-scheduler`,
      buildSchedulerDeployment(args),
      childOptions(this, provider, { dependsOn: schedulerAfter, customTimeouts: LOAD_TIMEOUTS }),
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      buildService(args),
      childOptions(this, provider, { dependsOn: [scheduler] }),
    );
    new k8s.networking.v1.NetworkPolicy(`${name}-netpol`, buildNetworkPolicy(args), childOptions(this, provider));

    this.endpoint = pulumi.interpolate`${service.metadata.name}.${args.namespace}.svc.cluster.local:${dep.scheduler.port}`;
    this.nodePorts = pulumi.output(nodePortsOf(dep));
    this.topology = pulumi.output(topologyOutput(dep));
    this.registerOutputs({ endpoint: this.endpoint, nodePorts: this.nodePorts, topology: this.topology });
  }
}
