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

/** The one explicit provider every resource of the stack uses. */
export function createProvider(name: string, cluster: ClusterConfig): k8s.Provider {
  return new k8s.Provider(name, providerArgs(cluster));
}
