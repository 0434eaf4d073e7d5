/**
 * The `cce` profile's objects are pinned byte for byte: every committed CCE stack file is deployed
 * with Pulumi mocks, and each Kubernetes object's registered inputs must equal the fixture that was
 * recorded from the product before the cluster profiles existed (test/unit/fixtures/cce-objects/).
 * A deliberate change to a CCE object re-records them: ASCEND_RECORD_CCE_OBJECTS=1 npx vitest run
 * test/unit/cce-objects.test.ts — and the diff of the fixture is then reviewed with the change.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readStackFile } from "../../components/config/stackFile";
import { validateStackConfig } from "../../components/config/validate";
import { installMocks, registered, settled } from "./mocks";

installMocks("golden");
let stackModule: typeof import("../../components/stack");
beforeAll(async () => {
  stackModule = await import("../../components/stack");
});
beforeEach(() => {
  registered.length = 0;
});

const repo = path.resolve(__dirname, "../..");
const fixtures = path.join(__dirname, "fixtures/cce-objects");
const CCE_STACKS = ["Pulumi.dev.yaml", "Pulumi.local.yaml", "Pulumi.local-inventory.yaml", "Pulumi.pd-examples.yaml"];

/** Every Kubernetes object the stack registers (not the providers), by type and name, with its inputs. */
async function objectsOf(file: string) {
  const stackFile = readStackFile(path.join(repo, file));
  const result = validateStackConfig(stackFile.raw, stackFile.secrets);
  if (!result.ok) throw new Error(`${file}: ${JSON.stringify(result.issues)}`);
  stackModule.deployStack(result.config, { registryPassword: pulumi.secret("golden-password") });
  await settled();
  return registered
    .filter((r) => r.type.startsWith("kubernetes:") && !r.type.startsWith("pulumi:providers"))
    .map((r) => ({ type: r.type, name: r.name, inputs: r.inputs }))
    .sort((a, b) => `${a.type} ${a.name}`.localeCompare(`${b.type} ${b.name}`));
}

describe("the cce profile's objects", () => {
  for (const file of CCE_STACKS) {
    it(`are unchanged for ${file}`, async () => {
      const text = `${JSON.stringify(await objectsOf(file), null, 2)}\n`;
      const fixture = path.join(fixtures, file.replace(/\.yaml$/, ".json"));
      if (process.env.ASCEND_RECORD_CCE_OBJECTS === "1") fs.writeFileSync(fixture, text);
      expect(text).toBe(fs.readFileSync(fixture, "utf8"));
    });
  }
});
