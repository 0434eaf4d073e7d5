/**
 * A small read-only Kubernetes API client for what the program itself must see while it runs
 * (the fail-fast watch of new pods): GET requests, with credentials from the same kubeconfig and
 * context the stack's provider uses. Supports what CCE kubeconfigs use — certificate data or
 * files, bearer tokens — and client-go exec credential plugins.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";

interface NamedEntry<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}
interface KubeconfigFile {
  "current-context"?: string;
  clusters?: NamedEntry<Record<string, unknown>>[];
  users?: NamedEntry<Record<string, unknown>>[];
  contexts?: NamedEntry<Record<string, string>>[];
}

export interface KubeTarget {
  server: string;
  agent: https.AgentOptions;
  headers: Record<string, string>;
}

/** kubeconfig: a path, YAML text, or undefined (KUBECONFIG's first file, else ~/.kube/config). */
export function loadKubeTarget(kubeconfig?: string, context?: string): KubeTarget {
  const file = kubeconfig ?? process.env.KUBECONFIG?.split(path.delimiter)[0] ?? path.join(os.homedir(), ".kube", "config");
  const isText = kubeconfig !== undefined && /\n/.test(kubeconfig);
  const base = isText ? process.cwd() : path.dirname(file);
  const doc = parse(isText ? kubeconfig : fs.readFileSync(file, "utf8")) as KubeconfigFile;
  const ctxName = context ?? doc["current-context"];
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig has no context "${ctxName}"`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster ?? {};
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  const bytes = (data: unknown, file: unknown) =>
    typeof data === "string"
      ? Buffer.from(data, "base64")
      : typeof file === "string"
        ? fs.readFileSync(path.resolve(base, file))
        : undefined;
  const agent: https.AgentOptions = {
    ca: bytes(cluster["certificate-authority-data"], cluster["certificate-authority"]),
    cert: bytes(user["client-certificate-data"], user["client-certificate"]),
    key: bytes(user["client-key-data"], user["client-key"]),
    rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
  };
  const headers: Record<string, string> = {};
  const token =
    typeof user.token === "string"
      ? user.token
      : typeof user.tokenFile === "string"
        ? fs.readFileSync(user.tokenFile, "utf8").trim()
        : undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  if (user.exec) Object.assign(agent, execCredential(user.exec as ExecConfig, headers));
  return { server: String(cluster.server).replace(/\/+$/, ""), agent, headers };
}

interface ExecConfig {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
}

/** Runs a client-go credential plugin (ExecCredential) once; returns TLS material, sets the token header. */
function execCredential(exec: ExecConfig, headers: Record<string, string>): https.AgentOptions {
  const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map((e) => [e.name, e.value])) };
  const r = spawnSync(exec.command, exec.args ?? [], { env, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`kubeconfig exec plugin ${exec.command} failed: ${r.stderr || r.error}`);
  const status = (JSON.parse(r.stdout) as { status?: Record<string, string> }).status ?? {};
  if (status.token) headers.authorization = `Bearer ${status.token}`;
  return status.clientCertificateData ? { cert: status.clientCertificateData, key: status.clientKeyData } : {};
}

/** A response of the API server with an error status (e.g. 404: no such object or API; 403: RBAC forbids it). */
export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** GET a JSON path of the API server (e.g. /api/v1/namespaces/x/pods?labelSelector=...). */
export function getJson<T>(target: KubeTarget, apiPath: string, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      `${target.server}${apiPath}`,
      { ...target.agent, headers: { accept: "application/json", ...target.headers }, timeout: timeoutMs },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk) => (body += chunk));
        res.on("end", () => {
          if ((res.statusCode ?? 0) >= 400)
            reject(new KubeApiError(`GET ${apiPath}: HTTP ${res.statusCode}: ${body.slice(0, 200)}`, res.statusCode ?? 0));
          else {
            try {
              resolve(JSON.parse(body) as T);
            } catch (e) {
              reject(e);
            }
          }
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`GET ${apiPath}: timed out`)));
    req.on("error", reject);
  });
}
