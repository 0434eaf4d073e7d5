import * as pulumi from "@pulumi/pulumi";

/**
 * Options for a component's child: parented to the component and bound to the component's
 * Kubernetes provider explicitly (never the ambient default provider).
 */
export function childOptions(
  parent: pulumi.ComponentResource,
  provider: pulumi.ProviderResource | undefined,
  extra: pulumi.CustomResourceOptions = {},
): pulumi.CustomResourceOptions {
  return { parent, ...(provider ? { provider } : {}), ...extra };
}

/** The provider a component was given (opts.provider, or opts.providers.kubernetes). */
export function kubernetesProviderOf(opts: pulumi.ComponentResourceOptions | undefined): pulumi.ProviderResource | undefined {
  if (!opts) return undefined;
  if (opts.provider) return opts.provider;
  const providers = opts.providers;
  if (Array.isArray(providers)) return providers.find((p) => (p as unknown as { getPackage(): string }).getPackage?.() === "kubernetes");
  return providers?.kubernetes;
}
