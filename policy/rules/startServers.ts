/**
 * The P/D start command (docs/manual-facts.md#pd-command, #pd-arguments; manual M11–M13): every
 * instance runs `start_servers.sh` with vLLM 0.6.3 arguments, where `--max-num-batched-tokens`
 * must be at least `--max-model-len` (a batch must fit one full-length request).
 */
import { argvOf, containersOf, podTemplatesOf, type Json, type KubeResource } from "../k8s";

/** The flags after `…/start_servers.sh` in a container's command line; undefined when it runs no start_servers.sh. */
export function startServersFlags(container: Json): Map<string, string | true> | undefined {
  const argv = argvOf(container);
  const at = argv.findIndex((a) => /(^|\/)start_servers\.sh$/.test(a));
  if (at < 0) return undefined;
  const flags = new Map<string, string | true>();
  for (let i = at + 1; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    const eq = a.indexOf("=");
    if (eq > 0) flags.set(a.slice(0, eq), a.slice(eq + 1));
    else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) flags.set(a, argv[++i]);
    else flags.set(a, true);
  }
  return flags;
}

const intOf = (v: string | true | undefined) => (typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);

/** The instance's `--port`, when it is a literal number. */
export const portOf = (container: Json) => intOf(startServersFlags(container)?.get("--port"));

/**
 * `--max-num-batched-tokens` < `--max-model-len` fails (vLLM refuses a budget below one
 * request). vLLM's `--enable-chunked-prefill` lifts the rule; an argument that is missing or not a
 * literal number (e.g. `$(VAR)`) is not judged.
 */
export function batchedTokensViolations(r: KubeResource): string[] {
  return podTemplatesOf(r).flatMap((t) =>
    containersOf(t.spec).flatMap((c) => {
      const flags = startServersFlags(c.container);
      if (!flags || flags.has("--enable-chunked-prefill")) return [];
      const batched = intOf(flags.get("--max-num-batched-tokens"));
      const modelLen = intOf(flags.get("--max-model-len"));
      if (batched === undefined || modelLen === undefined || batched >= modelLen) return [];
      return [
        `${t.where}: container "${c.name}" runs start_servers.sh with --max-num-batched-tokens=${batched} below --max-model-len=${modelLen}; ` +
          `the manual requires --max-num-batched-tokens >= --max-model-len (4096 or 8192 recommended), unless --enable-chunked-prefill is set`,
      ];
    }),
  );
}
