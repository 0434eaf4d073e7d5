import { z } from "zod";
import { shown } from "../common/display";

/** The manual's training and inference base image (CANN 8.0.rc3, PyTorch 2.3.1, aarch64). */
export const MANUAL_BASE_IMAGE =
  "swr.cn-southwest-2.myhuaweicloud.com/atelier/pytorch_2_3_ascend:pytorch_2.3.1-cann_8.0.rc3-py_3.10-hce_2.0.2409-aarch64-snt9b-20241213131522-aafe527";

/** name[:tag][@digest] with an optional registry host; loose enough for SWR, strict enough to catch typos. */
const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-]+[a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
export const imageRef = z.string().superRefine((ref, ctx) => {
  const problem = imageRefProblem(ref);
  if (problem) ctx.addIssue({ code: "custom", message: `must be an image reference such as registry/org/name:tag: ${problem}` });
});

/** What is wrong with an image reference, or undefined when it is one. */
export function imageRefProblem(ref: string): string | undefined {
  if (IMAGE_REF.test(ref)) return undefined;
  if (ref === "") return "it is empty";
  if (/\s/.test(ref)) return "it contains whitespace";
  const [nameTag, digest, ...more] = ref.split("@");
  if (more.length > 0) return "it has more than one '@'";
  if (digest !== undefined && !/^sha256:[a-f0-9]{64}$/.test(digest))
    return "the digest after '@' must be sha256: followed by 64 lower-case hex digits";
  const lastSlash = nameTag.lastIndexOf("/");
  const colon = nameTag.indexOf(":", lastSlash + 1);
  const name = colon < 0 ? nameTag : nameTag.slice(0, colon);
  const tag = colon < 0 ? undefined : nameTag.slice(colon + 1);
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag))
    return `the tag ${shown(tag)} must be 1-128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`;
  if (name.split("/").some((part) => part === "")) return "the repository has an empty path component (a leading, trailing or double '/')";
  if (/[A-Z]/.test(name)) return "the repository must be lower-case (only the tag may contain upper-case letters)";
  return "the repository may contain only lower-case letters and digits, separated by '.', '_' or '-', and may start with a registry host[:port]";
}

export const imagesSchema = z
  .object({
    /** Image for training jobs that do not name one (the manual's base image by default). */
    base: imageRef.default(MANUAL_BASE_IMAGE),
    /** imagePullPolicy for every workload. */
    pullPolicy: z.enum(["IfNotPresent", "Always", "Never"]).default("IfNotPresent"),
    /**
     * Image pre-pull: a DaemonSet on the accelerator nodes that pulls each image onto every node,
     * so `pulumi up` ends only when every NPU node holds them (the manual's "every node must have the image").
     */
    prePull: z
      .object({
        enabled: z.boolean().default(true),
        /** Extra images to pull besides the ones the stack's jobs and inference deployments use. */
        extraImages: z.array(imageRef).default([]),
      })
      .strict()
      .default({}),
    /** Build a training image FROM the base image and push it to SWR (needs a Docker engine and network). */
    build: z
      .object({
        enabled: z.boolean().default(false),
        /** Target repository, e.g. swr.cn-southwest-2.myhuaweicloud.com/my-org/ascend-train. */
        repository: imageRef.optional(),
        /** Tag of the built image. */
        tag: z
          .string()
          .regex(/^[\w][\w.-]{0,127}$/, { message: "must be a valid image tag" })
          .default("latest"),
        /** Docker build context directory. */
        context: z.string().default("./docker/training"),
        /** Dockerfile path, relative to the context. */
        dockerfile: z.string().default("Dockerfile"),
        /** Target platform: the base images are aarch64, so an image built FROM them must be built for ARM. */
        platform: z
          .string()
          .refine((p) => p === "linux/arm64", {
            message:
              "must be linux/arm64: the base images are aarch64, and an ARM image must be built for ARM (and run on the ARM NPU hosts)",
          })
          .default("linux/arm64"),
        /** Build args. */
        args: z.record(z.string()).default({}),
      })
      .strict()
      .default({}),
  })
  .strict()
  .default({});
export type ImagesConfig = z.infer<typeof imagesSchema>;

/** The registry (SWR) the pull secret and the image build use. The password is the secret config key `registryPassword`. */
export const registrySchema = z
  .object({
    /** Registry host, e.g. swr.cn-southwest-2.myhuaweicloud.com. */
    server: z.string().min(1),
    /** SWR login user, e.g. "cn-southwest-2@<AK>". */
    username: z.string().min(1),
    /** Name of the image pull secret created in the namespace. */
    pullSecretName: z.string().default("swr-pull-secret"),
  })
  .strict()
  .optional();
export type RegistryConfig = z.infer<typeof registrySchema>;
