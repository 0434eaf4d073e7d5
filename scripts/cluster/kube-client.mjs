// The local stand-ins' API client: the cluster's admin certificate, one keep-alive agent, JSON in
// and out. Plain Node ESM without npm dependencies: the stand-ins run before `npm ci` may have.
import https from "node:https";
import fs from "node:fs";
import path from "node:path";

export const log = (...a) => console.log(new Date().toISOString(), ...a);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A client for `server` with the admin credentials of the cluster folder `dir`. */
export function kubeClient(dir, server) {
  const read = (f) => fs.readFileSync(path.join(dir, "pki", f));
  const agent = new https.Agent({ ca: read("ca.crt"), cert: read("admin.crt"), key: read("admin.key"), keepAlive: true });
  /** One JSON request against the API server; resolves { status, body }. */
  function call(method, urlPath, body, contentType = "application/json") {
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(urlPath, server), { method, agent, headers: { "content-type": contentType } }, (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (data += c));
        res.on("end", () => {
          let parsed = data;
          try {
            parsed = JSON.parse(data);
          } catch {
            /* keep text */
          }
          resolve({ status: res.statusCode, body: parsed });
        });
      });
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
  /** The items of a list; a missing API (404: its CRD not installed yet) lists nothing. */
  async function list(urlPath) {
    const { status, body } = await call("GET", urlPath);
    if (status === 404) return [];
    if (status !== 200) throw new Error(`GET ${urlPath}: HTTP ${status}`);
    return body.items;
  }
  return { agent, call, list };
}

/** Runs `reconcile` once a second for good, logging its errors; `what` is logged at start. */
export async function everySecond(what, reconcile) {
  process.on("SIGTERM", () => process.exit(0));
  log(what);
  for (;;) {
    try {
      await reconcile();
    } catch (e) {
      log("error:", e.message);
    }
    await sleep(1000);
  }
}
