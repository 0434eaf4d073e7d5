// During a preview with a pending image build, only the image of the training job is unknown:
// the rest of its spec (command, resources, volumes) is known and shows in `pulumi preview --diff`.
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { validConfig } from "./helpers";
import { settled } from "./mocks";

const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // the engine's marker for a value not yet known
const jobs: Record<string, any>[] = [];
void pulumi.runtime.setMocks(
  {
    newResource(args) {
      if (args.type === "kubernetes:batch.volcano.sh/v1alpha1:Job") jobs.push(args.inputs);
      // The image build has not run yet: its digest is unknown, as in a real preview.
      const state = args.type === "docker:index/image:Image" ? { ...args.inputs, repoDigest: UNKNOWN } : args.inputs;
      return { id: `${args.name}-id`, state };
    },
    call: (args) => args.inputs,
  },
  "ascend-stack",
  "preview",
  true,
);

let stackModule: typeof import("../../components/stack");
beforeAll(async () => {
  stackModule = await import("../../components/stack");
});

describe("preview with a pending image build", () => {
  it("registers the Volcano Job with everything but the image known", async () => {
    const config = validConfig(
      {
        registry: { server: "swr.example.com", username: "u" },
        images: { build: { enabled: true, repository: "swr.example.com/org/train", tag: "v1" } },
      },
      { registryPassword: "secret" },
    );
    stackModule.deployStack(config, { registryPassword: pulumi.secret("pw") });
    await settled();
    await new Promise((r) => setTimeout(r, 200));
    expect(jobs).toHaveLength(1);
    const container = jobs[0].spec.tasks[0].template.spec.containers[0];
    // The image is the one value that is not known yet (not a reference string)...
    expect(typeof container.image).not.toBe("string");
    // ...while the rest of the spec is (before, the whole spec waited for the image).
    expect(container.args).toEqual(["sh run.sh"]);
    expect(container.resources.limits["huawei.com/ascend-1980"]).toBe("8");
    expect(jobs[0].metadata.name).toBe("vcjob");
  });
});
