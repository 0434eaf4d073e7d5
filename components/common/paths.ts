/** Path rules shared by training and inference. */
import * as path from "node:path";

/** The image's home: mounting anything there breaks the image (docs/manual-facts.md#pd-containers: never mount at /home/ma-user). */
export const FORBIDDEN_MOUNT_ROOT = "/home/ma-user";

const normal = (p: string) => path.posix.normalize(p).replace(/\/+$/, "") || "/";

/** True when `p` is `root` or below it. */
export function isUnder(p: string, root: string): boolean {
  const a = normal(p);
  const b = normal(root);
  return a === b || a.startsWith(b === "/" ? "/" : b + "/");
}

/** True when `p` is /home/ma-user itself or a directory beneath it. */
export function isUnderMaUserHome(p: string): boolean {
  return isUnder(p, FORBIDDEN_MOUNT_ROOT);
}

/** True when `a` and `b` name the same directory. */
export function samePath(a: string, b: string): boolean {
  return normal(a) === normal(b);
}
