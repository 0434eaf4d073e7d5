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
  pulumi.runtime.setMocks(
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

/** The child resources a component created (the SDK tracks them on the parent). */
export function childrenOf(component: pulumi.Resource): any[] {
  return [...((component as any).__childResources ?? [])];
}
