// `npm run validate -- <stack file>`: exit 0 for valid files, 1 with every problem otherwise.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const repo = path.resolve(__dirname, "../..");
const run = (...files: string[]) =>
  spawnSync(process.execPath, [path.join(repo, "node_modules/tsx/dist/cli.mjs"), path.join(repo, "scripts/validate.ts"), ...files], {
    encoding: "utf8",
  });

describe("the validate command", () => {
  it("accepts every committed example stack", () => {
    const r = run(...["Pulumi.dev.yaml", "Pulumi.local.yaml", "Pulumi.pd-examples.yaml"].map((f) => path.join(repo, f)));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Pulumi.dev.yaml: valid/);
  });

  it("rejects a bad file with every problem and its path, exit 1", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "validate-")), "Pulumi.bad.yaml");
    fs.writeFileSync(
      file,
      [
        "config:",
        "  ascend-stack:training:",
        "    jobs:",
        "      - name: Job_1",
        "        command: run",
        "        npus: 16",
        "  ascend-stack:registry:",
        "    server: swr.example.com",
        "    username: u",
        "  ascend-stack:registryPassword: plain",
        "",
      ].join("\n"),
    );
    const r = run(file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("problem(s)");
    for (const line of [
      'training.jobs[0].name: job name "Job_1"',
      "training.jobs[0].npus: requests 16 NPUs",
      "training.jobs[0].volume: training jobs mount an SFS Turbo volume",
      "registryPassword: must be a secret",
    ])
      expect(r.stderr).toContain(line);
  });

  it("--cluster: runs preflight against the file's cluster, one error naming it when it cannot be reached", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "validate-"));
    const kubeconfig = path.join(dir, "kubeconfig");
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    fs.writeFileSync(
      kubeconfig,
      "apiVersion: v1\nclusters: [{name: c, cluster: {server: https://127.0.0.1:1}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n",
    );
    const file = path.join(dir, "Pulumi.far.yaml");
    fs.writeFileSync(
      file,
      fs.readFileSync(path.join(repo, "Pulumi.dev.yaml"), "utf8").replace(/^(\s+)context: .*$/m, `$1kubeconfig: ${kubeconfig}`),
    );
    const r = run("--cluster", file);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Pulumi.far.yaml: valid; preflight: 1 error(s), 0 warning(s):");
    expect(r.stderr).toMatch(
      /- error cluster \[https:\/\/127\.0\.0\.1:1\]: cannot reach the API server at https:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/,
    );
    // Without --cluster the same file is only validated.
    expect(run(file).status).toBe(0);
  });

  it("exits 2 with usage when no file is given", () => {
    const r = run();
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage/);
  });
});
