import * as k8s from "@pulumi/kubernetes";
import * as fs from "node:fs";
import type { ClusterConfig } from "./config";

/** Provider args from the cluster section: a kubeconfig path is read here so the provider gets its contents. */
export function providerArgs(cluster: ClusterConfig): k8s.ProviderArgs {
  const kubeconfig = cluster.kubeconfig;
  const contents = kubeconfig && !kubeconfig.includes("\n") && fs.existsSync(kubeconfig) ? fs.readFileSync(kubeconfig, "utf8") : kubeconfig;
  return {
    ...(contents ? { kubeconfig: contents } : {}),
    ...(cluster.context ? { context: cluster.context } : {}),
    namespace: cluster.namespace,
    // Every ConfigMap and Secret of the stack has a fixed name that pods mount or reference:
    // update them in place. Replacing one means deleting it first (same name), a window in
    // which it is missing; and a credential rotation or a rank-table edit must not replace.
    enableConfigMapMutable: true,
    enableSecretMutable: true,
    ...(cluster.renderYamlToDirectory ? { renderYamlToDirectory: cluster.renderYamlToDirectory } : {}),
  };
}

/** The explicit provider every resource of the stack uses, except the Volcano Jobs. */
export function createProvider(name: string, cluster: ClusterConfig): k8s.Provider {
  return new k8s.Provider(name, providerArgs(cluster));
}

/**
 * The provider of the Volcano training Jobs: the same cluster, with client-side apply. Any change to
 * a Job's spec replaces it (delete, then create: its name is fixed), and with server-side apply the
 * preview of that replacement is a server-side dry-run apply onto the Job that still exists, which
 * Volcano's admission webhook denies as an update ("job updates may not change fields other than
 * minAvailable, tasks[*].replicas"): `pulumi preview` and `up` would fail on every job edit.
 * Client-side apply previews a creation from the inputs alone.
 */
export function createJobProvider(name: string, cluster: ClusterConfig): k8s.Provider {
  return new k8s.Provider(name, { ...providerArgs(cluster), enableServerSideApply: false });
}
