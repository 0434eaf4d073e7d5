import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { childOptions, kubernetesProviderOf } from "../common/component";
import { buildTrainingConfigMap, buildVolcanoJob, type TrainingJobInputs } from "./builders";

/** The job's builder inputs: its validated config (`nodes` decides how many tasks exist), image, claim. */
export interface TrainingJobArgs extends TrainingJobInputs {
  /**
   * Provider for the Volcano Job (default: the component's): client-side apply, so that the preview
   * of a replacement is not a server-side dry-run Volcano's webhook denies (cluster/provider.ts).
   */
  jobProvider?: pulumi.ProviderResource;
}

/**
 * The manual's training job: the rank-table ConfigMap (`configmap1980-<job>` on CCE,
 * `rings-config-<job>` on MindCluster) + Volcano Job.
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
    const configMap = new k8s.core.v1.ConfigMap(
      `${name}-configmap`,
      buildTrainingConfigMap(args),
      // The profile's controller writes the rank table into `data`: that is not drift.
      childOptions(this, provider, { ignoreChanges: ["data"], deleteBeforeReplace: true }),
    );
    // The image may be a pending build's output: only it is unknown at preview, the rest is known.
    const job = new k8s.apiextensions.CustomResource(
      `${name}-job`,
      buildVolcanoJob(args),
      childOptions(this, args.jobProvider ?? provider, { replaceOnChanges: ["spec"], deleteBeforeReplace: true, dependsOn: [configMap] }),
    );
    this.jobName = job.metadata.name;
    this.configMapName = configMap.metadata.name;
    this.registerOutputs({ jobName: this.jobName, configMapName: this.configMapName });
  }
}
