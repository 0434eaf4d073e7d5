/** Cross-field rules of the images section (and the registry it pushes to). */
import type { Report } from "../common/issues";
import type { ImagesConfig, RegistryConfig } from "./config";

export function imageRules(images: ImagesConfig, registry: RegistryConfig | undefined, report: Report): void {
  const build = images.build;
  if (build.enabled && !build.repository)
    report(["images", "build", "repository"], "is required when images.build.enabled is true (the SWR repository to push to)");
  if (build.enabled && !registry)
    report(["registry"], "is required when images.build.enabled is true (server and username to push to SWR)");
}
