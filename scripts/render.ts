/**
 * Renders every manifest of a stack to a folder without a cluster, through the Kubernetes
 * provider's render-to-directory mode:
 *   npm run render -- Pulumi.dev.yaml [out-dir]      (default out-dir: rendered/<stack>)
 * It runs `pulumi up` on a throw-away stack with the same config in a temporary backend. The
 * stack file is read with the project's stack-file loader (components/config/stackFile.ts), so
 * a file that is not a usable stack file is refused with the same messages as `npm run validate`.
 * The registry password is replaced by a placeholder: render mode writes Secret data in
 * plaintext, so real credentials never reach the rendered files.
 */
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { formatIssues } from "../components/common/issues";
import { PROJECT } from "../components/config/schema";
import { readStackFile } from "../components/config/stackFile";

const repo = path.resolve(__dirname, "..");

class Fatal extends Error {}
const say = (msg: string) => process.stderr.write(`\n==> ${msg}\n`);

/** The environment scripts/env.sh sets up (toolchain on PATH, Pulumi offline), as one source of truth. */
function toolchainEnv(): NodeJS.ProcessEnv {
  const out = execFileSync("bash", ["-c", 'source "$1" >&2 && env -0', "bash", path.join(repo, "scripts/env.sh")], { encoding: "utf8" });
  const env: NodeJS.ProcessEnv = {};
  for (const entry of out.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0 && !entry.startsWith("BASH_FUNC_")) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** Runs a command with its errors (and, unless `quiet`, its output) shown; fails with `what` when it exits non-zero. */
function run(env: NodeJS.ProcessEnv, what: string, command: string, args: string[], quiet = false): void {
  const r = spawnSync(command, args, { cwd: repo, env, stdio: ["ignore", quiet ? "ignore" : "inherit", "inherit"] });
  if (r.error) throw new Fatal(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Fatal(`${what} (see above)`);
}

function main(argv: string[]): void {
  if (argv.length < 1 || argv.length > 2) throw new Fatal("usage: npm run render -- Pulumi.<stack>.yaml [out-dir]");
  const file = path.resolve(argv[0]);
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) throw new Fatal(`no such stack file: ${argv[0]}`);
  const stack = path.basename(file, ".yaml").replace(/^Pulumi\./, "");
  const out = path.resolve(argv[1] ?? path.join(repo, "rendered", stack));
  fs.mkdirSync(out, { recursive: true });

  const stackFile = readStackFile(file);
  if (stackFile.issues.length > 0)
    throw new Fatal(
      `${argv[0]} is not a usable stack file (\`npm run validate -- ${argv[0]}\` lists every problem):\n${formatIssues(stackFile.issues)}`,
    );

  const env = toolchainEnv();
  if (spawnSync("bash", ["-c", "command -v pulumi"], { env, stdio: "ignore" }).status !== 0) {
    say(`Preparing the toolchain (cached under ${env.ASCEND_CACHE}; a cold build takes a while)`);
    run(env, "toolchain setup failed; the step and its log are named above", path.join(repo, "scripts/toolchain.sh"), []);
  }
  const backend = fs.mkdtempSync(path.join(os.tmpdir(), "render-backend-"));
  const renderStack = `render-${stack}`;
  const renderFile = path.join(repo, `Pulumi.${renderStack}.yaml`);
  Object.assign(env, { PULUMI_BACKEND_URL: `file://${backend}`, PULUMI_CONFIG_PASSPHRASE: "render-only" });
  // The provider would take an ambient KUBECONFIG as its kubeconfig, which render mode refuses.
  delete env.KUBECONFIG;
  try {
    say(`Writing ${renderFile} from ${path.basename(file)} (render mode, placeholder secrets)`);
    // Render mode cannot be combined with a cluster connection; the password is set below.
    const cluster = { ...((stackFile.raw.cluster as Record<string, unknown> | undefined) ?? {}) };
    delete cluster.kubeconfig;
    delete cluster.context;
    cluster.renderYamlToDirectory = out;
    const config: Record<string, unknown> = { ...stackFile.foreign };
    for (const [section, value] of Object.entries(stackFile.raw)) config[`${PROJECT}:${section}`] = value;
    config[`${PROJECT}:cluster`] = cluster;
    fs.writeFileSync(renderFile, stringify({ config }));

    run(env, `pulumi stack init ${renderStack} failed`, "pulumi", ["stack", "init", renderStack], true);
    if (stackFile.raw.registry !== undefined)
      run(env, "setting the placeholder password failed", "pulumi", [
        "config",
        "set",
        "--stack",
        renderStack,
        "--secret",
        "registryPassword",
        "<redacted: render mode>",
      ]);
    say(`Rendering into ${out}`);
    run(env, "rendering failed", "pulumi", ["up", "--yes", "--skip-preview", "--stack", renderStack]);
  } finally {
    fs.rmSync(backend, { recursive: true, force: true });
    fs.rmSync(renderFile, { force: true });
  }
  say("Rendered manifests:");
  const rendered = (fs.readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith(".yaml")).map((f) => path.join(out, f));
  console.log(rendered.sort().join("\n"));
}

// Ctrl-C reaches pulumi too (same process group): main's cleanup runs once it has stopped.
process.on("SIGINT", () => undefined);
process.on("SIGTERM", () => undefined);
try {
  main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof Fatal)) throw e;
  process.stderr.write(`\nERROR: ${e.message}\n`);
  process.exit(1);
}
