// Per-instance vLLM arguments: changing one decode instance's argument changes that instance's
// Deployment and nothing else (the ConfigMap, the scheduler and the other instances stay equal).
import { describe, expect, it } from "vitest";
import { buildConfigMap, buildInstanceDeployment, buildSchedulerDeployment, type PdInputs } from "../../components/inference/builders";
import { resolveInference } from "../../components/inference/topology";
import { validConfig } from "./helpers";
import { inferenceRaw } from "./fixtures/inference/configs";

const base = { name: "qwen", model: "/mnt/sfs_turbo/models/qwen", servedModelName: "qwen" };

function build(decodeArgs: string[]) {
  const config = validConfig({ inference: inferenceRaw([{ ...base, prefill: 1, decode: [{}, { extraArgs: decodeArgs }] }]).inference });
  const dep = resolveInference(config).deployments[0];
  const i: PdInputs = {
    deployment: dep,
    namespace: "ai",
    accelerator: config.accelerator,
    image: "img:1",
    imagePullPolicy: "IfNotPresent",
    claimName: "sfs",
    inventoryHosts: [],
    stackId: "dev-0123abcd",
    inventoryTolerations: [],
  };
  return {
    configMap: buildConfigMap(i),
    scheduler: buildSchedulerDeployment(i),
    instances: Object.fromEntries(dep.instances.map((x) => [x.name, buildInstanceDeployment(i, x)])),
  };
}

describe("per-instance extraArgs", () => {
  const before = build([]);
  const after = build(["--gpu-memory-utilization=0.85"]);

  it("reach only that instance's start command", () => {
    const args = (o: any) => JSON.stringify(o.spec.template.spec.containers[0]);
    expect(args(after.instances["qwen-decode-1"])).toContain("--gpu-memory-utilization=0.85");
    expect(args(after.instances["qwen-decode-0"])).not.toContain("--gpu-memory-utilization");
  });

  it("change exactly one Deployment", () => {
    const changed = Object.keys(after.instances).filter((k) => JSON.stringify(after.instances[k]) !== JSON.stringify(before.instances[k]));
    expect(changed).toEqual(["qwen-decode-1"]);
    expect(after.scheduler).toEqual(before.scheduler);
    expect(after.configMap).toEqual(before.configMap);
  });
});
