/**
 * The tests' real API server with some API groups hidden: an HTTPS proxy (serving the API
 * server's own certificate, so the kubeconfig's CA still verifies it) that forwards every request
 * with the cluster's admin credentials, except those under the hidden prefixes, which get the
 * 404 a cluster without those CRDs answers. How preflight meets a cluster without Volcano, while
 * the shared test cluster keeps its Volcano for the other suites.
 */
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { loadKubeTarget } from "../../components/cluster/kubeApi";

export interface HidingProxy {
  /** A kubeconfig (same context name and credentials) that reaches the cluster through the proxy. */
  kubeconfig: string;
  close(): Promise<void>;
}

export async function startHidingProxy(
  clusterDir: string,
  kubeconfig: string,
  hiddenPrefixes: string[],
  out: string,
): Promise<HidingProxy> {
  const upstream = loadKubeTarget(kubeconfig);
  const pki = path.join(clusterDir, "pki");
  const server = https.createServer(
    { cert: fs.readFileSync(path.join(pki, "apiserver.crt")), key: fs.readFileSync(path.join(pki, "apiserver.key")) },
    (req, res) => {
      if (hiddenPrefixes.some((p) => req.url?.startsWith(p))) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 }));
        return;
      }
      const forward = https.request(
        `${upstream.server}${req.url}`,
        { ...upstream.agent, method: req.method, headers: { ...req.headers, ...upstream.headers, host: new URL(upstream.server).host } },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      forward.on("error", (e) => res.destroy(e));
      req.pipe(forward);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const doc = parse(fs.readFileSync(kubeconfig, "utf8"));
  for (const c of doc.clusters) c.cluster.server = `https://127.0.0.1:${port}`;
  fs.writeFileSync(out, stringify(doc), { mode: 0o600 });
  return {
    kubeconfig: out,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
