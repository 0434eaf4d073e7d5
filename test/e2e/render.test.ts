/** `npm run render`: every manifest of a stack written to a folder without a cluster, no secrets in it. */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseAllDocuments } from "yaml";
import { expect, it } from "vitest";
import { repo, requireEnvironment } from "./harness";

function walk(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

it("renders the local stack's manifests, with a placeholder instead of the registry password", () => {
  requireEnvironment();
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "render-"));
  // No cluster access: point KUBECONFIG nowhere to prove the render does not need one.
  execFileSync("npm", ["run", "--silent", "render", "--", "Pulumi.local.yaml", out], {
    cwd: repo,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, KUBECONFIG: "/nonexistent", ASCEND_KUBECONFIG: "/nonexistent" },
  });
  const files = walk(out).filter((f) => f.endsWith(".yaml"));
  const objects = files.flatMap((f) => parseAllDocuments(fs.readFileSync(f, "utf8")).map((d) => d.toJS()));
  const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
  expect(kinds).toEqual(
    expect.arrayContaining([
      "ConfigMap/configmap1980-llama2-pretrain",
      "DaemonSet/image-prepull",
      "Deployment/qwen-pd-decode-0",
      "Deployment/qwen-pd-prefill-0",
      "Deployment/qwen-pd-scheduler",
      "Job/llama2-pretrain",
      "PersistentVolume/sfs-turbo-local",
      "PersistentVolumeClaim/sfs-turbo-local",
      "Secret/swr-pull-secret",
      "Service/qwen-pd",
    ]),
  );
  const all = files.map((f) => fs.readFileSync(f, "utf8")).join("\n");
  expect(all).not.toContain("local-demo-not-a-real-password");
  expect(all).not.toContain(Buffer.from("local-demo-not-a-real-password").toString("base64").slice(0, 20));
  const secret = objects.find((o) => o.kind === "Secret");
  const config = secret.stringData?.[".dockerconfigjson"] ?? Buffer.from(secret.data[".dockerconfigjson"], "base64").toString();
  expect(JSON.parse(config).auths["swr.cn-southwest-2.myhuaweicloud.com"].password).toMatch(/^<redacted/);
  // The throw-away render stack file is gone again.
  expect(fs.existsSync(path.join(repo, "Pulumi.render-local.yaml"))).toBe(false);
});
