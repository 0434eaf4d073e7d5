import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, kubernetesProviderOf } from "../../common/component";
import {
  buildVllmConfigMap,
  buildVllmInstanceDeployment,
  buildVllmInstanceService,
  buildVllmNetworkPolicy,
  buildVllmProxyDeployment,
  buildVllmService,
  vllmTopologyOutput,
  type VllmAscendInputs,
} from "./builders";

/** The builders' inputs, plus what every child waits for. */
export interface VllmAscendPdArgs extends VllmAscendInputs {
  /** Resources every child waits for (namespace, pull secret, image pre-pull). */
  dependsOn?: pulumi.Resource[];
}

// Weights load for minutes; the provider waits for readiness this long before failing.
const LOAD_TIMEOUTS = { create: "40m", update: "40m" };

/**
 * One vllm-ascend P/D deployment: the launcher ConfigMap, a Deployment and a headless Service
 * per prefill/decode instance, then (after every instance is ready, the tutorials' start order)
 * the load-balancing proxy with its Service, and a NetworkPolicy.
 */
export class VllmAscendPd extends pulumi.ComponentResource {
  /** The OpenAI endpoint: <service>.<namespace>.svc.cluster.local:<port>. */
  public readonly endpoint: pulumi.Output<string>;
  /** Instances with their API ports, kv_port and engine_id. */
  public readonly topology: pulumi.Output<ReturnType<typeof vllmTopologyOutput>>;

  constructor(name: string, args: VllmAscendPdArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ascend:inference:VllmAscendPd", name, {}, opts);
    const provider = kubernetesProviderOf(opts);
    const dep = args.deployment;
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-launcher`,
      buildVllmConfigMap(args),
      childOptions(this, provider, { dependsOn: args.dependsOn }),
    );
    const after = [...(args.dependsOn ?? []), configMap];
    const instances = dep.instances.map((x) => {
      const deployment = new k8s.apps.v1.Deployment(
        `${name}-${x.role}-${x.index}`,
        buildVllmInstanceDeployment(args, x),
        childOptions(this, provider, { dependsOn: after, customTimeouts: LOAD_TIMEOUTS }),
      );
      // After its instance: the provider waits for a Service's endpoints, which exist once the pod is ready.
      const dns = new k8s.core.v1.Service(
        `${name}-${x.role}-${x.index}-dns`,
        buildVllmInstanceService(args, x),
        childOptions(this, provider, { dependsOn: [deployment] }),
      );
      return [deployment, dns];
    });
    const proxy = new k8s.apps.v1.Deployment(
      `${name}-proxy`,
      buildVllmProxyDeployment(args),
      childOptions(this, provider, { dependsOn: [...after, ...instances.flat()] }),
    );
    const service = new k8s.core.v1.Service(
      `${name}-service`,
      buildVllmService(args),
      childOptions(this, provider, { dependsOn: [proxy] }),
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-netpol`,
      buildVllmNetworkPolicy(args),
      childOptions(this, provider, { dependsOn: args.dependsOn }),
    );

    this.endpoint = pulumi.interpolate`${service.metadata.name}.${args.namespace}.svc.cluster.local:${dep.proxy.port}`;
    this.topology = pulumi.output(vllmTopologyOutput(dep));
    this.registerOutputs({ endpoint: this.endpoint, topology: this.topology });
  }
}
