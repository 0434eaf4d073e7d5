import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

export interface TrainingImageArgs {
  /** Target repository in SWR, e.g. swr.cn-southwest-2.myhuaweicloud.com/my-org/ascend-train. */
  repository: string;
  /** Image tag. */
  tag: string;
  /** Build context directory. */
  context: string;
  /** Dockerfile, relative to the context. */
  dockerfile: string;
  /** Target platform (the manual's images are aarch64: linux/arm64). */
  platform: string;
  /** Build args; BASE_IMAGE is always passed (the manual's base image by default). */
  args: Record<string, string>;
  /** Image to build FROM. */
  baseImage: string;
  /** Registry login for the push. */
  registry: { server: string; username: string; password: pulumi.Input<string> };
}

/**
 * The manual's way (b): build an image FROM the base image (adding Megatron-LM, MindSpeed and
 * ModelLink) and push it to SWR. Needs a Docker engine and outbound network on the machine that
 * runs `pulumi up`. `imageRef` is the pushed reference with its digest, so a rebuild rolls out.
 */
export class TrainingImage extends pulumi.ComponentResource {
  /** repository:tag@sha256:..., what jobs and the pre-pull use. */
  public readonly imageRef: pulumi.Output<string>;

  constructor(name: string, args: TrainingImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("ascend:images:TrainingImage", name, {}, opts);
    const image = new docker.Image(
      `${name}-image`,
      {
        imageName: `${args.repository}:${args.tag}`,
        build: {
          context: args.context,
          dockerfile: `${args.context}/${args.dockerfile}`,
          platform: args.platform,
          args: { BASE_IMAGE: args.baseImage, ...args.args },
        },
        registry: {
          server: args.registry.server,
          username: args.registry.username,
          password: pulumi.secret(args.registry.password),
        },
      },
      { parent: this },
    );
    this.imageRef = image.repoDigest.apply((d) => d ?? `${args.repository}:${args.tag}`);
    this.registerOutputs({ imageRef: this.imageRef });
  }
}
