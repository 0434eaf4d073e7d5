/** Kubernetes naming rules, used by the config schema to reject names before anything is created. */
import { shown } from "./display";

/** RFC 1123 label: Pods, ConfigMaps keys in hostnames, most object names. */
export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1035 label: Service names (must start with a letter). */
export const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
/** RFC 1123 subdomain: ConfigMap, PV, PVC names. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const MAX_LABEL = 63;
export const MAX_SUBDOMAIN = 253;

/** Returns a rule violation message for `name` as an RFC 1123 label, or undefined. */
export function labelProblem(name: string, what = "name"): string | undefined {
  if (name.length > MAX_LABEL) return `${what} ${shown(name)} is ${name.length} characters; Kubernetes allows at most ${MAX_LABEL}`;
  if (!DNS1123_LABEL.test(name))
    return `${what} ${shown(name)} must be lower-case alphanumerics and '-', starting and ending with an alphanumeric (RFC 1123 label)`;
  return undefined;
}

/** Returns a rule violation message for `name` as an RFC 1035 label (Service names), or undefined. */
export function serviceNameProblem(name: string, what = "name"): string | undefined {
  if (name.length > MAX_LABEL) return `${what} ${shown(name)} is ${name.length} characters; Kubernetes allows at most ${MAX_LABEL}`;
  if (!DNS1035_LABEL.test(name))
    return `${what} ${shown(name)} must start with a lower-case letter and contain only lower-case alphanumerics and '-' (RFC 1035 label)`;
  return undefined;
}

/** Returns a rule violation message for `name` as an RFC 1123 subdomain, or undefined. */
export function subdomainProblem(name: string, what = "name"): string | undefined {
  if (name.length > MAX_SUBDOMAIN) return `${what} ${shown(name)} is ${name.length} characters; Kubernetes allows at most ${MAX_SUBDOMAIN}`;
  if (!DNS1123_SUBDOMAIN.test(name)) return `${what} ${shown(name)} must be a lower-case RFC 1123 subdomain`;
  return undefined;
}
