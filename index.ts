/**
 * ascend-stack: one stack per CCE cluster. The whole config is validated, and the target cluster
 * checked (preflight), before any resource is registered; see README.md for the config reference.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "./components/config/load";
import { startDeployWatch } from "./components/cluster/deployWatch";
import { preflightOrFail } from "./components/preflight/program";
import { deployStack } from "./components/stack";

// The program is an async function (the runtime awaits it; what it returns are the stack outputs),
// so the preflight's reads of the cluster finish before the first resource is registered.
export = () => main().catch(withoutStackTrace);

/**
 * The runtime prints a RunError's message alone, but then also formats the error with
 * `util.inspect(err, { colors: true })` for its trace; on Node.js 22 that spins for about 20 s
 * and fails ("Invalid string length") on the source-mapped frames under node_modules/@pulumi.
 * A RunError's trace says nothing to a user anyway: keep only its message, so a bad config or a
 * failed preflight fails in a second, not twenty.
 */
function withoutStackTrace(e: unknown): never {
  if (pulumi.RunError.isInstance(e)) e.stack = `${e.name}: ${e.message}`;
  throw e;
}

async function main() {
  const config = loadStackConfig();
  await preflightOrFail(config);
  const registryPassword = new pulumi.Config().getSecret("registryPassword");
  // During `pulumi up`: fail fast, with the reason, when a pod this update creates cannot start.
  // Started before any resource, so its snapshot of the pods that existed before predates every change.
  startDeployWatch(
    config.cluster,
    config.training.jobs.map((j) => ({ name: j.name, pods: j.nodes })),
  );
  const outputs = deployStack(config, { registryPassword });
  return {
    namespace: outputs.namespace,
    volumes: outputs.volumes,
    // Optional parts are object members, so an absent one is simply left out of the outputs.
    images: { prePulled: outputs.prePulledImages, built: outputs.trainingImage },
    trainingJobs: outputs.trainingJobs,
    inference: outputs.inference,
  };
}
