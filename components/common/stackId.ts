/**
 * A stable identity of one stack, for what is shared beyond a namespace or a stack: rendezvous
 * directories on an SFS Turbo share that several namespaces, stacks or clusters mount, and the
 * names of per-stack objects. Readable (the stack name) and unique (a hash of the fully
 * qualified org/project/stack name).
 */
import { createHash } from "node:crypto";

/** DNS-label-safe: lower case, [a-z0-9-], at most 30 characters of the stack name + 8 hex digits. */
export function stackIdOf(organization: string, project: string, stack: string): string {
  const slug =
    stack
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 30)
      .replace(/-+$/, "") || "stack";
  const hash = createHash("sha256").update(`${organization}/${project}/${stack}`).digest("hex").slice(0, 8);
  return `${slug}-${hash}`;
}
