// Pull: resolve a reference to a manifest, fetch config and layers into the content store, and unpack
// each layer once (by chain ID) while it downloads.
import { Transform, type Readable } from 'node:stream';
import { SkiffError, ExitCode } from '../errors';
import type { Paths } from '../paths';
import type { ImageLayer, ImageRecord } from '../storage/images';
import { chainIds } from '../storage/layers';
import { compressionOf, unpackLayer } from './unpack';
import { familiarName, familiarString, tagNameOnly, toString as referenceString, type Reference } from './reference';
import { candidates, endpoints, type RegistriesConfig } from './registries';
import { findCredentials } from './auth';
import {
  createRegistryClient, defaultManifestAccept, hostPlatform, isIndexType, RegistryError, registryClientFor, selectPlatform,
  type Descriptor, type FetchedManifest, type ImageIndex, type Platform, type RegistryClient,
} from './registry';
import type { Stores } from './stores';
import { mapLimit } from '../util/limit';
import { shortId } from '../storage/ids';

declare const SKIFF_VERSION: string;

/** What pull reports while it works; the CLI renders it as Docker does (lines, or bars on a TTY). */
export interface PullProgress {
  line(text: string): void;
  layer(id: string, status: string, current?: number, total?: number): void;
}

export interface PullOptions {
  paths: Paths;
  stores: Stores;
  config: RegistriesConfig;
  /** As typed: busybox, host:5000/x/y:tag, name@sha256:… */
  name: string;
  platform?: Platform;
  tlsVerify?: boolean;
  maxConcurrentDownloads?: number;
  progress?: PullProgress;
  /** Exit code for a bad reference or a missing image: 1 for `pull`, 125 for `run`/`create`. */
  exitCode?: number;
}

export interface PullResult {
  image: ImageRecord;
  reference: Reference;
  /** The manifest digest Docker prints as `Digest:` (the index's when pulled through one). */
  digest: string;
  upToDate: boolean;
}

interface ImageManifest {
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  rootfs?: { type?: string; diff_ids?: string[] };
}

const silent: PullProgress = { line: () => undefined, layer: () => undefined };

export async function pullImage(options: PullOptions): Promise<PullResult> {
  const exitCode = options.exitCode ?? ExitCode.failure;
  const tries = candidates(options.name, options.config, { exitCode }).map(tagNameOnly);
  let lastError: unknown;
  for (const reference of tries) {
    try {
      return await pullReference(reference, options);
    } catch (err) {
      lastError = err;
      // Only "not there" moves on to the next search registry; anything else is the answer.
      if (!(err instanceof RegistryError) || !['manifest-unknown', 'name-unknown', 'unauthorized'].includes(err.reason) || tries.length === 1) break;
    }
  }
  if (lastError instanceof RegistryError && (lastError.reason === 'manifest-unknown' || lastError.reason === 'name-unknown')) {
    const ref = tries[tries.length - 1];
    throw new SkiffError(`manifest for ${familiarString(ref)} not found: manifest unknown: the registry ${ref.domain} has no ${ref.digest ? `digest ${ref.digest}` : `tag "${ref.tag}"`} for ${familiarName(ref)}`, exitCode, { cause: lastError });
  }
  // Every pull failure is the command's failure: 1 for pull, 125 for run/create, as Docker's CLI exits.
  if (lastError instanceof SkiffError && lastError.exitCode !== exitCode) throw new SkiffError(lastError.message, exitCode, { cause: lastError });
  throw lastError;
}

async function pullReference(reference: Reference, options: PullOptions): Promise<PullResult> {
  const { stores } = options;
  const progress = options.progress ?? silent;
  const wanted = options.platform ?? hostPlatform();
  const { client, top } = await resolveManifest(reference, options);
  progress.line(`${reference.digest ?? reference.tag}: Pulling from ${familiarName(reference).replace(/^[^/]*\.[^/]*\//, '')}`);

  let manifest = top;
  if (isIndexType(top.mediaType)) {
    const entry = selectPlatform(top.json as ImageIndex, wanted);
    manifest = await client.getManifest(entry.digest, defaultManifestAccept);
  }
  const image = manifest.json as ImageManifest;
  if (!image?.config?.digest || !Array.isArray(image.layers)) {
    throw new SkiffError(`${referenceString(reference)}: manifest ${manifest.digest} (${manifest.mediaType}) is not an image manifest skiff can run`);
  }
  const id = image.config.digest;
  const repoTags = reference.tag && !reference.digest ? [`${reference.domain}/${reference.path}:${reference.tag}`] : [];
  const repoDigests = [`${reference.domain}/${reference.path}@${top.digest}`];

  return stores.lease(async () => {
    const existing = await stores.images.get(id);
    if (existing && (await allLayersPresent(stores, existing))) {
      await stores.content.claim(id);
      const image = await stores.images.put({ ...existing, repoTags, repoDigests });
      return { image, reference, digest: top.digest, upToDate: true };
    }
    await Promise.all([
      stores.content.write(top.digest, top.bytes),
      manifest !== top ? stores.content.write(manifest.digest, manifest.bytes) : undefined,
    ]);
    const configBytes = (await stores.content.claim(id)) ? await stores.content.readBuffer(id) : await client.fetchBlobBytes(id, { size: image.config.size });
    await stores.content.write(id, configBytes);
    const config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== image.layers.length) {
      throw new SkiffError(`${referenceString(reference)}: the image config lists ${diffIds.length} layer diff IDs but the manifest has ${image.layers.length} layers; the image is malformed`);
    }
    const chain = chainIds(diffIds);
    const layers: ImageLayer[] = image.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i], chainId: chain[i], size: l.size, mediaType: l.mediaType }));
    for (const l of layers) progress.layer(shortId(l.digest), 'Pulling fs layer');
    const sizes = await mapLimit(layers, options.maxConcurrentDownloads ?? 3, (layer, i) =>
      fetchLayer(client, options, layer, i === 0 ? undefined : chain[i - 1], progress));
    const record: ImageRecord = {
      id,
      repoTags,
      repoDigests,
      manifestDigest: manifest.digest,
      manifestMediaType: manifest.mediaType,
      configDigest: id,
      layers,
      platform: { os: config.os ?? wanted.os, architecture: config.architecture ?? wanted.architecture, ...(config.variant ? { variant: config.variant } : {}) },
      created: config.created,
      size: sizes.reduce((a, b) => a + b, 0),
      pulledAt: new Date().toISOString(),
    };
    return { image: await stores.images.put(record), reference, digest: top.digest, upToDate: false };
  });
}

/**
 * The manifest from the first endpoint that has it: the registry's configured mirrors in order
 * (registries.json "mirrors"), then the registry itself. A mirror that fails or lacks the image is
 * skipped, as Docker does; the registry's own error is the one reported.
 */
async function resolveManifest(reference: Reference, options: PullOptions): Promise<{ client: RegistryClient; top: FetchedManifest }> {
  const tag = reference.digest ?? reference.tag!;
  const userAgent = `skiff/${SKIFF_VERSION}`;
  for (const mirror of endpoints(reference.domain, options.config, { tlsVerify: options.tlsVerify, purpose: 'pull' }).filter((e) => e.mirror)) {
    try {
      const url = new URL(mirror.url);
      const client = createRegistryClient({
        domain: url.host,
        repository: reference.path,
        schemes: [url.protocol === 'http:' ? 'http' : 'https'],
        tlsVerify: mirror.tlsVerify,
        credentials: (await findCredentials(url.host))?.credentials,
        userAgent,
      });
      return { client, top: await client.getManifest(tag, defaultManifestAccept) };
    } catch {
      // On to the next mirror, then the registry.
    }
  }
  const client = await registryClientFor(reference, { config: options.config, tlsVerify: options.tlsVerify, userAgent });
  return { client, top: await client.getManifest(tag, defaultManifestAccept) };
}

async function allLayersPresent(stores: Stores, image: ImageRecord): Promise<boolean> {
  for (const layer of image.layers) if (!(await stores.layers.has(layer.chainId))) return false;
  return true;
}

/** Downloads and unpacks one layer unless its chain is already stored; returns its unpacked size. */
async function fetchLayer(client: RegistryClient, options: PullOptions, layer: ImageLayer, parent: string | undefined, progress: PullProgress): Promise<number> {
  const { stores } = options;
  const short = shortId(layer.digest);
  const prepared = await stores.layers.prepare(layer.chainId);
  if (!prepared) {
    progress.layer(short, 'Already exists');
    await stores.content.claim(layer.digest);
    return (await stores.layers.meta(layer.chainId))?.size ?? 0;
  }
  try {
    const compression = compressionOf(layer.mediaType);
    const have = await stores.content.claim(layer.digest);
    let source: Readable;
    let ingestDone: Promise<void> | undefined;
    if (have) {
      source = stores.content.createReadStream(layer.digest);
    } else {
      const download = await client.fetchBlob(layer.digest, { size: layer.size });
      const ingest = stores.content.ingest(layer.digest, layer.size);
      download.on('error', (err) => ingest.stream.destroy(err));
      // The blob lands in the content store as it streams through to the unpacker.
      source = download.pipe(ingest.stream);
      ingestDone = ingest.done;
    }
    let received = 0;
    let lastReport = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        const now = Date.now();
        if (now - lastReport > 100) {
          lastReport = now;
          progress.layer(short, 'Downloading', received, layer.size);
        }
        done(null, chunk);
      },
    });
    source.on('error', (err) => counter.destroy(err));
    const stats = await unpackLayer(source.pipe(counter), {
      paths: options.paths,
      diffId: layer.diffId,
      compression,
      dir: prepared.tempDir,
      store: stores.layers.root,
      layer: layer.digest,
    });
    await ingestDone;
    progress.layer(short, 'Download complete');
    await prepared.commit({ diffId: layer.diffId, parent, size: stats.bytes });
    progress.layer(short, 'Pull complete');
    return stats.bytes;
  } catch (err) {
    await prepared.abort().catch(() => undefined);
    throw err;
  }
}

