/**
 * Kubernetes' syntax for label keys and values, annotation keys and extended resource names
 * (apimachinery's IsQualifiedName / IsValidLabelValue, and IsExtendedResourceName of the core
 * API), so values the API server would refuse at `up` are refused before anything is registered.
 */
import { shown } from "./display";
import { MAX_LABEL, MAX_SUBDOMAIN, DNS1123_SUBDOMAIN } from "./names";

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** A label or annotation key: `[prefix/]name`, prefix a DNS subdomain ≤ 253, name ≤ 63. */
export function qualifiedNameProblem(key: string, what = "key"): string | undefined {
  const parts = key.split("/");
  if (parts.length > 2) return `${what} ${shown(key)} has more than one '/': it must be [prefix/]name`;
  const [prefix, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  if (prefix !== undefined) {
    if (prefix.length === 0) return `${what} ${shown(key)} has an empty prefix before '/'`;
    if (prefix.length > MAX_SUBDOMAIN)
      return `${what} ${shown(key)}: the prefix is ${prefix.length} characters; Kubernetes allows at most ${MAX_SUBDOMAIN}`;
    if (!DNS1123_SUBDOMAIN.test(prefix)) return `${what} ${shown(key)}: the prefix must be a lower-case DNS subdomain such as example.com`;
  }
  if (name.length === 0) return `${what} ${shown(key)} has an empty name`;
  if (name.length > MAX_LABEL)
    return `${what} ${shown(key)}: the name part is ${name.length} characters; Kubernetes allows at most ${MAX_LABEL}`;
  if (!NAME_PART.test(name))
    return `${what} ${shown(key)}: the name part must be alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  return undefined;
}

/** A label value: empty, or ≤ 63 alphanumerics, '-', '_', '.', starting and ending with an alphanumeric. */
export function labelValueProblem(value: string, what = "label value"): string | undefined {
  if (value.length > MAX_LABEL)
    return `${what} ${shown(value)} is ${value.length} characters; Kubernetes allows at most ${MAX_LABEL} in a label value`;
  if (value !== "" && !NAME_PART.test(value))
    return `${what} ${shown(value)} is not a valid label value: alphanumerics, '-', '_' or '.', starting and ending with an alphanumeric`;
  return undefined;
}

/**
 * An extended resource name: `domain/name` outside the kubernetes.io domain (reserved for native
 * resources), and `requests.<name>` must be a qualified name (resource quotas use that form).
 */
export function extendedResourceNameProblem(name: string): string | undefined {
  if (!name.includes("/")) return `${shown(name)} has no domain: extended resources are domain-prefixed, e.g. huawei.com/ascend-1980`;
  if (name.includes("kubernetes.io/"))
    return `${shown(name)} is in the kubernetes.io domain, which is reserved for Kubernetes' own resources`;
  if (name.startsWith("requests.")) return `${shown(name)} must not start with "requests." (that prefix names quota resources)`;
  const problem = qualifiedNameProblem(`requests.${name}`, "resource name");
  return problem
    ? `${shown(name)} is not an extended resource name such as huawei.com/ascend-1980 (${problem.replace(/^resource name "requests\.[^"]*"(?:… \(\d+ characters\))?:? ?/, "")})`
    : undefined;
}
