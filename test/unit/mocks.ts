/** Pulumi mocks for component tests: records every registered resource; outputs are awaited. */
import * as pulumi from "@pulumi/pulumi";

export interface Registered {
  type: string;
  name: string;
  inputs: Record<string, any>;
  provider?: string;
}

export const registered: Registered[] = [];

export function installMocks(stack = "test"): void {
  void pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs, provider: args.provider });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    "ascend-stack",
    stack,
    false,
  );
}

/** Resolves an output's value (the mock engine resolves everything, including unknowns, at once). */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** Waits until all registrations issued so far reached the mock monitor. */
export async function settled(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

/** What a resource was registered with, as a transformation sees it (public API). */
export interface Recorded {
  type: string;
  props: Record<string, any>;
  opts: pulumi.CustomResourceOptions;
}

/**
 * A transformation that records every resource of a component tree by name; pass it in the
 * component's `transformations` option.
 */
export function recorder(): { transformation: pulumi.ResourceTransformation; seen: Record<string, Recorded> } {
  const seen: Record<string, Recorded> = {};
  const transformation: pulumi.ResourceTransformation = (args) => {
    seen[args.name] = { type: args.type, props: args.props, opts: args.opts };
    return undefined;
  };
  return { transformation, seen };
}

/** The name of a resource (the last segment of its URN). */
export async function nameOf(resource: pulumi.Resource): Promise<string> {
  return (await valueOf(resource.urn)).split("::").pop()!;
}
