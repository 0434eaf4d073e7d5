/**
 * How a workload names its SFS Turbo volume: `volume` (a storage.volumes[].name), or by default
 * the first volume. One rule and one resolver for training jobs and P/D deployments alike.
 */
import { shown } from "../common/display";
import type { Path, Report } from "../common/issues";

/** The volume name a workload uses: its own `volume`, else the first of storage.volumes. */
export function volumeNameFor(ref: string | undefined, volumeNames: readonly string[]): string | undefined {
  return ref ?? volumeNames[0];
}

/**
 * Reports a workload's volume reference that cannot be resolved. `volumeNames` undefined: the
 * storage section failed its schema and no volume rule can be judged. `why`: what the workload
 * keeps on the volume.
 */
export function reportVolumeRef(
  at: Path,
  ref: string | undefined,
  volumeNames: readonly string[] | undefined,
  why: string,
  report: Report,
): void {
  if (volumeNames === undefined) return;
  if (volumeNames.length === 0) report(at, `${why}: add one under storage.volumes`);
  else if (ref !== undefined && !volumeNames.includes(ref))
    report(at, `refers to volume ${shown(ref)}, which is not in storage.volumes (${volumeNames.join(", ")})`);
}
