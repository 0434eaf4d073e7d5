import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, kubernetesProviderOf } from "../common/component";
import type { WorkloadArgs } from "../common/workload";
import { buildTrainingConfigMap, buildVolcanoJob } from "./builders";
import type { TrainingJobConfig } from "./config";

export interface TrainingJobArgs extends WorkloadArgs {
  /** The validated job config. `nodes` decides how many tasks exist. */
  job: TrainingJobConfig;
  /** Hostnames the job must not use (inventory nodes). */
  avoidHosts?: string[];
}

/**
 * The manual's training job on CCE: ConfigMap `configmap1980-<job>` + Volcano Job.
 * Volcano rejects changes to a Job's spec other than replicas/minAvailable, so any spec change
 * replaces the Job (delete, then create: the name is fixed), and `pulumi preview` shows a replace.
 */
export class TrainingJob extends pulumi.ComponentResource {
  /** Volcano Job name. */
  public readonly jobName: pulumi.Output<string>;
  /** Name of the rank-table ConfigMap. */
  public readonly configMapName: pulumi.Output<string>;

  constructor(name: string, args: TrainingJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ascend:training:TrainingJob", name, {}, opts);
    const provider = kubernetesProviderOf(opts);
    const inputs = pulumi
      .all([args.image, args.claimName, pulumi.all(args.imagePullSecrets ?? [])])
      .apply(([image, claimName, imagePullSecrets]) => ({
        job: args.job,
        namespace: args.namespace,
        accelerator: args.accelerator,
        image,
        imagePullPolicy: args.imagePullPolicy,
        claimName,
        imagePullSecrets,
        avoidHosts: args.avoidHosts,
      }));
    // What the builders need that is known before any output resolves (names, labels).
    const staticInputs = { ...args, image: "", claimName: "", imagePullSecrets: [] };
    const cmObject = buildTrainingConfigMap(staticInputs);
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-configmap`,
      cmObject as k8s.core.v1.ConfigMapArgs,
      // The CCE Volcano plugin writes the rank table into `data`: that is not drift.
      childOptions(this, provider, { ignoreChanges: ["data"], deleteBeforeReplace: true }),
    );
    const jobObject = inputs.apply(buildVolcanoJob);
    const job = new k8s.apiextensions.CustomResource(
      `${name}-job`,
      {
        apiVersion: "batch.volcano.sh/v1alpha1",
        kind: "Job",
        // Metadata does not depend on outputs: keep it known at preview, even with a pending image build.
        metadata: buildVolcanoJob(staticInputs).metadata,
        spec: jobObject.apply((j) => j.spec),
      },
      childOptions(this, provider, { replaceOnChanges: ["spec"], deleteBeforeReplace: true, dependsOn: [configMap] }),
    );
    this.jobName = job.metadata.name;
    this.configMapName = configMap.metadata.name;
    this.registerOutputs({ jobName: this.jobName, configMapName: this.configMapName });
  }
}
