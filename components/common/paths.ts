/** Path rules shared by training and inference. */
import * as path from "node:path";

/** The image's home: mounting anything there breaks the image (SPEC §4, "never mount a work dir at /home/ma-user"). */
export const FORBIDDEN_MOUNT_ROOT = "/home/ma-user";

/** True when `p` is /home/ma-user itself or a directory beneath it. */
export function isUnderMaUserHome(p: string): boolean {
  const normal = path.posix.normalize(p).replace(/\/+$/, "");
  return normal === FORBIDDEN_MOUNT_ROOT || normal.startsWith(FORBIDDEN_MOUNT_ROOT + "/");
}
