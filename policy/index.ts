/**
 * ascend-stack's CrossGuard policy pack: the manual's rules for Ascend NPU workloads, on the
 * Kubernetes resources of any Pulumi program (docs/policy-pack.md). The checks are pure
 * (rules/); this file only adapts @pulumi/policy's arguments to them.
 */
import { PolicyPack, type PolicyResource, type ResourceValidationPolicy, type StackValidationPolicy } from "@pulumi/policy";
import { plain, type KubeResource } from "./k8s";
import { RULES, type RuleConfig } from "./policies";
import { DEFAULT_SFS_TURBO_CLASSES } from "./rules/storage";

const isKube = (type: string) =>
  type.startsWith("kubernetes:") && !type.startsWith("kubernetes:kustomize") && !type.startsWith("kubernetes:helm");

const configSchema = {
  properties: {
    storageClassNames: {
      type: "array" as const,
      items: { type: "string" as const },
      default: DEFAULT_SFS_TURBO_CLASSES,
      description: "StorageClass names whose claims are SFS Turbo volumes (CCE's csi-sfsturbo, plus your sub-path classes).",
    },
  },
};

function toPolicy(rule: (typeof RULES)[number]): ResourceValidationPolicy | StackValidationPolicy {
  const base = { name: rule.name, description: rule.description, enforcementLevel: rule.enforcementLevel };
  if ("resource" in rule) {
    return {
      ...base,
      ...(rule.name === "sfs-turbo-retained" ? { configSchema } : {}),
      validateResource: (args, report) => {
        if (!isKube(args.type)) return;
        const r: KubeResource = { type: args.type, name: args.name, urn: args.urn, props: plain(args.props), protect: args.opts?.protect };
        for (const message of rule.resource(r, args.getConfig<RuleConfig>())) report(message);
      },
    };
  }
  return {
    ...base,
    validateStack: (args, report) => {
      const resources = args.resources
        .filter((r: PolicyResource) => isKube(r.type))
        .map((r): KubeResource => ({ type: r.type, name: r.name, urn: r.urn, props: plain(r.props), protect: r.opts?.protect }));
      for (const v of rule.stack(resources, args.getConfig<RuleConfig>())) report(v.message, v.urn);
    },
  };
}

new PolicyPack("ascend-stack", { policies: RULES.map(toPolicy) });
