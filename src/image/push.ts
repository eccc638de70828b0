// Push: send a stored image's layers, config and manifest to a registry, reusing what the registry already
// holds (blobs in the repository, blobs mounted from a sibling repository) and keeping the manifest bytes as
// stored, so that the pushed image has the very digest it was pulled with.
import { writeFile } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { ExitCode, SkiffError } from '../errors';
import type { Paths } from '../paths';
import type { ImageRecord } from '../storage/images';
import { mapLimit } from '../util/limit';
import { shortId } from '../storage/ids';
import type { PullProgress } from './pull';
import { familiarName, fullName, parseReference, type Reference } from './reference';
import type { RegistriesConfig } from './registries';
import { isImageManifestType, manifestMediaType, RegistryError, registryClientFor, type Descriptor, type RegistryClient } from './registry';
import type { Stores } from './stores';

declare const SKIFF_VERSION: string;

/** What push reports while it works: the same shape as pull's, rendered by the same CLI renderer. */
export type PushProgress = PullProgress;

export interface PushOptions {
  paths: Paths;
  stores: Stores;
  config: RegistriesConfig;
  /** As typed: `host:5000/x/y:tag`; no tag means `latest`, or every local tag with allTags. */
  name: string;
  /** `-a`: push every local tag of the repository; the name must then have no tag. */
  allTags?: boolean;
  tlsVerify?: boolean;
  progress?: PushProgress;
  /** Podman's `--digestfile`: where to write the pushed manifest digest. */
  digestFile?: string;
  /** Blobs uploaded at once (Docker's max-concurrent-uploads, default 5). */
  maxConcurrentUploads?: number;
}

export interface PushedTag {
  /** `host:5000/x/y:tag` */
  name: string;
  tag: string;
  /** The manifest digest the registry now serves for the tag. */
  digest: string;
  /** Bytes of the manifest. */
  size: number;
  image: ImageRecord;
}

export interface PushResult {
  reference: Reference;
  pushed: PushedTag[];
}

interface ImageManifest {
  config: Descriptor;
  layers: Descriptor[];
}

/** A repository that a blob can be mounted or fetched from: what a local image was pulled from or pushed to. */
interface BlobSource {
  domain: string;
  path: string;
}

/** Docker gives up mounting a blob after this many candidate repositories, and uploads it. */
const maxMountAttempts = 3;

const silent: PushProgress = { line: () => undefined, layer: () => undefined };

export async function pushImage(options: PushOptions): Promise<PushResult> {
  const { stores } = options;
  const progress = options.progress ?? silent;
  const reference = parseReference(options.name, { exitCode: ExitCode.failure });
  if (reference.digest) {
    throw new SkiffError(`cannot push a digest reference: ${options.name}; push by tag (NAME[:TAG])`, ExitCode.failure);
  }
  if (options.allTags && reference.tag !== undefined) throw new SkiffError("tag can't be used with --all-tags/-a", ExitCode.failure);
  if (options.allTags && options.digestFile) {
    throw new SkiffError('--digestfile can\'t be used with --all-tags/-a: it holds the digest of one pushed tag', ExitCode.failure);
  }
  const repository = fullName(reference);
  progress.line(`The push refers to repository [${repository}]`);

  const images = await stores.images.list();
  const targets = localTags(images, reference, options.allTags === true);
  if (targets.length === 0) {
    throw new SkiffError(`An image does not exist locally with the tag: ${familiarName(reference)}; name a local image so with: skiff tag IMAGE ${familiarName(reference)}${options.allTags ? '' : `:${reference.tag ?? 'latest'}`}`, ExitCode.failure);
  }

  const userAgent = `skiff/${SKIFF_VERSION}`;
  const client = await registryClientFor(reference, { config: options.config, tlsVerify: options.tlsVerify, userAgent });
  const origins = new Map<string, Promise<RegistryClient>>();
  const originClient = (source: BlobSource): Promise<RegistryClient> => {
    const key = `${source.domain}/${source.path}`;
    let found = origins.get(key);
    if (!found) {
      found = registryClientFor(source, { config: options.config, tlsVerify: options.tlsVerify, userAgent });
      origins.set(key, found);
    }
    return found;
  };

  const pushed: PushedTag[] = [];
  for (const { tag, image } of targets) {
    const context: TagContext = { options, progress, client, reference, sources: blobSources(images, image), originClient };
    pushed.push(await pushTag(context, tag, image));
  }
  if (options.digestFile) {
    // Podman writes the bare digest, without a newline, so that scripts can read it as is.
    await writeFile(options.digestFile, pushed[pushed.length - 1]!.digest).catch((err: NodeJS.ErrnoException) => {
      throw new SkiffError(`cannot write the digest file ${options.digestFile}: ${err.code ?? err.message}; the image was pushed as ${pushed[pushed.length - 1]!.digest}`, ExitCode.failure);
    });
  }
  return { reference, pushed };
}

/** The local images to push: the one tag asked for (latest by default), or every tag of the repository, sorted. */
function localTags(images: ImageRecord[], reference: Reference, all: boolean): Array<{ tag: string; image: ImageRecord }> {
  const prefix = `${fullName(reference)}:`;
  const wanted = reference.tag ?? 'latest';
  const found: Array<{ tag: string; image: ImageRecord }> = [];
  for (const image of images) {
    for (const name of image.repoTags) {
      if (!name.startsWith(prefix)) continue;
      const tag = name.slice(prefix.length);
      if (all || tag === wanted) found.push({ tag, image });
    }
  }
  return found.sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
}

/**
 * For each blob digest, the repositories it is known to be in: where the images holding it were pulled
 * from or pushed to (repoDigests, which prove it), then where they are merely named (repoTags). The image
 * being pushed comes first, as the likeliest source.
 */
function blobSources(images: ImageRecord[], pushing: ImageRecord): Map<string, BlobSource[]> {
  const sources = new Map<string, BlobSource[]>();
  const ordered = [pushing, ...images.filter((i) => i.id !== pushing.id)];
  for (const names of [(i: ImageRecord) => i.repoDigests, (i: ImageRecord) => i.repoTags]) {
    for (const image of ordered) {
      for (const name of names(image)) {
        let source: BlobSource;
        try {
          const ref = parseReference(name);
          source = { domain: ref.domain, path: ref.path };
        } catch {
          continue;
        }
        for (const digest of [image.configDigest, ...image.layers.map((l) => l.digest)]) {
          const list = sources.get(digest) ?? [];
          if (!list.some((s) => s.domain === source.domain && s.path === source.path)) list.push(source);
          sources.set(digest, list);
        }
      }
    }
  }
  return sources;
}

interface TagContext {
  options: PushOptions;
  progress: PushProgress;
  client: RegistryClient;
  reference: Reference;
  sources: Map<string, BlobSource[]>;
  originClient(source: BlobSource): Promise<RegistryClient>;
}

async function pushTag(context: TagContext, tag: string, image: ImageRecord): Promise<PushedTag> {
  const { options, progress, client, reference } = context;
  const { stores } = options;
  const name = `${fullName(reference)}:${tag}`;
  const manifestBytes = await stores.content.readBuffer(image.manifestDigest).catch((err: unknown) => {
    throw new SkiffError(`cannot push ${name}: its manifest ${image.manifestDigest} is not in skiff's content store; pull the image again`, ExitCode.failure, { cause: err });
  });
  let json: unknown;
  try {
    json = JSON.parse(manifestBytes.toString('utf8'));
  } catch {
    throw new SkiffError(`cannot push ${name}: its stored manifest ${image.manifestDigest} is not valid JSON; pull the image again`, ExitCode.failure);
  }
  const mediaType = image.manifestMediaType || manifestMediaType(json, undefined);
  const manifest = json as ImageManifest;
  if (!isImageManifestType(mediaType) || !manifest.config?.digest || !Array.isArray(manifest.layers)) {
    throw new SkiffError(`cannot push ${name}: its manifest ${image.manifestDigest} (${mediaType}) is not an image manifest skiff can push`, ExitCode.failure);
  }

  // Docker names each layer by its diff ID and lists them top layer first.
  const layerIds = manifest.layers.map((d, i) => shortId(image.layers[i]?.digest === d.digest ? image.layers[i]!.diffId : d.digest));
  const shown = manifest.layers.map((d, i) => ({ descriptor: d, id: layerIds[i]! })).reverse();
  const seen = new Set<string>();
  for (const { id } of shown) {
    if (seen.has(id)) continue;
    seen.add(id);
    progress.layer(id, 'Preparing');
  }

  // A blob that appears twice in the manifest is pushed once; both of its lines get the outcome.
  const uploads = new Map<string, Promise<void>>();
  const pushOnce = (descriptor: Descriptor, report: StatusReport): Promise<void> => {
    let upload = uploads.get(descriptor.digest);
    if (!upload) {
      upload = pushBlob(context, name, descriptor, report);
      uploads.set(descriptor.digest, upload);
    }
    return upload;
  };
  await mapLimit(shown, options.maxConcurrentUploads ?? 5, async ({ descriptor, id }) => {
    if (isForeign(descriptor)) {
      progress.layer(id, 'Skipped foreign layer');
      return;
    }
    await pushOnce(descriptor, (status, current, total) => progress.layer(id, status, current, total));
  });
  // The config last among the blobs, and the manifest after it: a registry checks that every blob a manifest names is there.
  await pushOnce(manifest.config, () => undefined);

  const digest = await client.putManifest(tag, mediaType, manifestBytes);
  progress.line(`${tag}: digest: ${digest} size: ${manifestBytes.length}`);

  // As Docker: the image now also answers to name@digest, which `images --digests` shows.
  const current = await stores.images.get(image.id);
  const named = current ? await stores.images.put({ ...current, repoTags: [], repoDigests: [`${fullName(reference)}@${digest}`] }) : image;
  return { name, tag, digest, size: manifestBytes.length, image: named };
}

type StatusReport = (status: string, current?: number, total?: number) => void;

/** Makes sure the target repository has one blob: already there, mounted from a sibling repository, or uploaded. */
async function pushBlob(context: TagContext, name: string, descriptor: Descriptor, report: StatusReport): Promise<void> {
  const { client, reference } = context;
  const { digest, size } = descriptor;
  if (await client.hasBlob(digest)) {
    report('Layer already exists');
    return;
  }
  const known = context.sources.get(digest) ?? [];
  const siblings = known.filter((s) => s.domain === reference.domain && s.path !== reference.path).slice(0, maxMountAttempts);
  for (const from of siblings) {
    try {
      if (await client.mountBlob(digest, from.path)) {
        report(`Mounted from ${from.path}`);
        return;
      }
    } catch {
      // A refused mount (no pull access to the source, a registry without mounts) only costs an upload.
    }
  }
  const openStream = await blobReader(context, name, descriptor);
  let sent = 0;
  let lastReport = 0;
  await client.pushBlob(digest, size, async () => {
    sent = 0;
    const source = await openStream();
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        sent += chunk.length;
        const now = Date.now();
        if (now - lastReport > 100) {
          lastReport = now;
          report('Pushing', sent, size);
        }
        done(null, chunk);
      },
    });
    source.on('error', (err) => counter.destroy(err));
    return source.pipe(counter);
  });
  report('Pushed');
}

/**
 * Where an upload reads the blob from: skiff's content store, which holds it exactly as pulled; when only
 * the unpacked layer is here (its chain was already unpacked from another blob), a registry the image
 * came from, streamed through without changing a byte.
 */
async function blobReader(context: TagContext, name: string, descriptor: Descriptor): Promise<() => Promise<Readable>> {
  const { stores } = context.options;
  const { digest, size } = descriptor;
  if (await stores.content.has(digest)) return async () => stores.content.createReadStream(digest);
  for (const source of context.sources.get(digest) ?? []) {
    if (source.domain === context.reference.domain && source.path === context.reference.path) continue;
    try {
      const origin = await context.originClient(source);
      if (await origin.hasBlob(digest)) return () => origin.fetchBlob(digest, { size });
    } catch (err) {
      // An unreachable or refusing origin is one source less; the error below says what to do.
      if (!(err instanceof RegistryError)) throw err;
    }
  }
  throw new SkiffError(
    `cannot push ${name}: blob ${digest} is not in skiff's content store (only its unpacked layer is, and skiff cannot recompress it to the same digest), and no registry the image came from has it; pull the image again from its registry, then push`,
    ExitCode.failure,
  );
}

/** Foreign (non-distributable) layers are fetched from their own URLs and, as Docker does, not pushed. */
function isForeign(descriptor: Descriptor): boolean {
  return /\.foreign\.|nondistributable/.test(descriptor.mediaType ?? '');
}

