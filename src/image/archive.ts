// Image archives: `save` (Docker and OCI archives), `load` (either, gzip-compressed or not) and `import` (a root
// filesystem tarball or URL becomes a one-layer image, with Docker's `-c` Dockerfile changes).
//
// The archive `save` writes for `--format docker-archive` is the layout Docker 25 writes, which is an OCI image
// layout with Docker's `manifest.json` and `repositories` next to it:
//
//   blobs/sha256/<hex>   configs, manifests and layer blobs, each once, named by digest
//   index.json           one descriptor per tag (io.containerd.image.name + org.opencontainers.image.ref.name)
//   oci-layout           {"imageLayoutVersion":"1.0.0"}
//   manifest.json        [{"Config":"blobs/sha256/<hex>","RepoTags":["busybox:latest"],"Layers":["blobs/sha256/<hex>"]}]
//   repositories         {"busybox":{"latest":"<top layer hex>"}}, Docker's pre-1.10 index, read by nobody modern
//
// Every reader in use reads it: `docker load` of Docker 20.10 (which only reads manifest.json and opens the paths it
// names), Docker 25+ (either file), skopeo and podman (`docker-archive:` through manifest.json, `oci-archive:` through
// index.json). Layer blobs are written as they are stored, usually gzip-compressed, so that manifests and their digests
// survive a save/load round trip; every reader above decompresses layers whose file is compressed (Docker's own
// loader sniffs, skopeo's docker-archive source decompresses to present diffIDs). `--format oci-archive` is the same
// without manifest.json and repositories.
//
// `load` reads Docker 20.10's legacy layout too (`<v1 id>/layer.tar`, `<config hex>.json`, uncompressed layers), where
// there is no manifest: it synthesises an OCI manifest and stores the layer tars it got as the layer blobs, so the
// image can be saved again.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, open, readFile, realpath, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import { ExitCode, SkiffError } from '../errors';
import type { Paths } from '../paths';
import { createVerifier, sha256Of } from '../storage/content';
import type { ImageLayer, ImageRecord } from '../storage/images';
import { chainIds } from '../storage/layers';
import type { PullProgress } from './pull';
import { familiarName, familiarString, parseReference, type Reference } from './reference';
import {
  hostPlatform, isImageManifestType, isIndexType, manifestMediaType, MediaType, selectPlatform,
  type Descriptor, type Platform,
} from './registry';
import { tmpDirOf, type Stores } from './stores';
import { decompressor, sniffCompression, unpackLayer, type Compression } from './unpack';

declare const SKIFF_VERSION: string;

export const OciMediaType = {
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
  layerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  layerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
} as const;

/** The annotation containerd (and Docker 25+) put the full image name in. */
export const containerdNameAnnotation = 'io.containerd.image.name';
/** The OCI annotation for a tag (Docker) or a whole reference (skopeo, podman). */
export const ociRefNameAnnotation = 'org.opencontainers.image.ref.name';

export type ArchiveFormat = 'docker-archive' | 'oci-archive';

/** An image config as skiff reads and writes it: the OCI fields plus Docker's `comment`. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  comment?: string;
  config?: ContainerConfig;
  rootfs?: { type?: string; diff_ids?: string[] };
  history?: Array<{ created?: string; created_by?: string; comment?: string; empty_layer?: boolean }>;
}

interface ImageManifest {
  schemaVersion?: number;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
}

// =============================================================================================
// Archive documents (pure)
// =============================================================================================

/** One entry of a Docker archive's manifest.json. */
export interface DockerArchiveEntry {
  /** Path of the config file inside the archive. */
  Config: string;
  /** Familiar names with tags (`busybox:latest`); Docker writes null for an untagged image. */
  RepoTags: string[] | null;
  /** Paths of the layer tars inside the archive, bottom layer first. */
  Layers: string[];
  /** Docker 25 adds descriptors of foreign layers; kept as read. */
  LayerSources?: Record<string, Descriptor>;
}

/** Checks a parsed manifest.json; a malformed one is an error that says what is wrong. */
export function parseDockerArchiveManifest(json: unknown): DockerArchiveEntry[] {
  const bad = (why: string) => new SkiffError(`invalid archive: manifest.json ${why}; the archive is not one docker save or skiff save wrote`);
  if (!Array.isArray(json)) throw bad('is not a JSON array');
  return json.map((entry: unknown, i) => {
    if (typeof entry !== 'object' || entry === null) throw bad(`entry ${i} is not an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e.Config !== 'string' || e.Config === '') throw bad(`entry ${i} has no Config`);
    if (!Array.isArray(e.Layers) || e.Layers.some((l) => typeof l !== 'string')) throw bad(`entry ${i} has no list of Layers`);
    if (e.RepoTags != null && (!Array.isArray(e.RepoTags) || e.RepoTags.some((t) => typeof t !== 'string'))) throw bad(`entry ${i} has RepoTags that are not strings`);
    const parsed: DockerArchiveEntry = { Config: e.Config, RepoTags: (e.RepoTags as string[] | null | undefined) ?? null, Layers: e.Layers as string[] };
    if (typeof e.LayerSources === 'object' && e.LayerSources !== null) parsed.LayerSources = e.LayerSources as Record<string, Descriptor>;
    return parsed;
  });
}

/**
 * The full name (`docker.io/library/busybox:latest`) an OCI index entry's annotations give, or undefined when they give
 * none. containerd's and Docker's `io.containerd.image.name` is a full name; `org.opencontainers.image.ref.name` is a
 * whole reference when skopeo or podman wrote it and only a tag when Docker did, which names nothing on its own.
 */
export function imageNameFromAnnotations(annotations: Record<string, string> | undefined): string | undefined {
  if (!annotations) return undefined;
  for (const [key, mustLookLikeName] of [[containerdNameAnnotation, false], [ociRefNameAnnotation, true]] as const) {
    const text = annotations[key];
    if (!text) continue;
    if (mustLookLikeName && !text.includes('/') && !text.includes(':')) continue;
    const ref = tryParse(text);
    if (ref && !ref.digest) return `${ref.domain}/${ref.path}:${ref.tag ?? 'latest'}`;
  }
  return undefined;
}

function tryParse(text: string): Reference | undefined {
  try {
    return parseReference(text);
  } catch {
    return undefined;
  }
}

/** `blobs/sha256/<hex>` for a digest: where an OCI layout keeps a blob. */
export function blobPath(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return `blobs/${algorithm}/${hex}`;
}

/** The digest a `blobs/<alg>/<hex>` path names, or undefined for any other path (e.g. `<id>/layer.tar`). */
export function digestOfBlobPath(path: string): string | undefined {
  const match = /^(?:\.\/)?blobs\/(sha256)\/([0-9a-f]{64})$/.exec(posix.normalize(path));
  return match ? `${match[1]}:${match[2]}` : undefined;
}

/** The OCI layer media type for a compression. */
export function layerMediaType(compression: Compression): string {
  return compression === 'gzip' ? OciMediaType.layerGzip : compression === 'zstd' ? OciMediaType.layerZstd : OciMediaType.layer;
}

/** The manifest an image gets when its source had none (legacy docker archive, import): OCI, with the blobs as they are. */
export function synthesizeManifest(config: { digest: string; size: number }, layers: Array<{ digest: string; size: number; mediaType: string }>): Buffer {
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: OciMediaType.config, digest: config.digest, size: config.size },
    layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
  };
  return Buffer.from(JSON.stringify(manifest));
}

/** One image as save writes it. */
export interface SavedImage {
  configDigest: string;
  manifest: Descriptor;
  layerDigests: string[];
  /** Full names with tags. */
  tags: string[];
}

/** index.json: one descriptor per tag, as Docker 25 and containerd write it; an untagged image gets one without names. */
export function archiveIndex(images: SavedImage[]): Record<string, unknown> {
  const manifests: Descriptor[] = [];
  for (const image of images) {
    const base = { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size };
    if (image.tags.length === 0) manifests.push(base);
    for (const tag of image.tags) {
      const ref = parseReference(tag);
      manifests.push({ ...base, annotations: { [containerdNameAnnotation]: tag, [ociRefNameAnnotation]: ref.tag ?? 'latest' } });
    }
  }
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests };
}

/** manifest.json and repositories of a Docker archive. */
export function dockerArchiveDocuments(images: SavedImage[]): { manifest: DockerArchiveEntry[]; repositories: Record<string, Record<string, string>> } {
  const repositories: Record<string, Record<string, string>> = {};
  const manifest = images.map((image) => {
    const top = image.layerDigests[image.layerDigests.length - 1];
    for (const tag of image.tags) {
      const ref = parseReference(tag);
      if (top) (repositories[familiarName(ref)] ??= {})[ref.tag ?? 'latest'] = top.replace(/^sha256:/, '');
    }
    return {
      Config: blobPath(image.configDigest),
      RepoTags: image.tags.length > 0 ? image.tags.map((t) => familiarString(parseReference(t))) : null,
      Layers: image.layerDigests.map(blobPath),
    };
  });
  return { manifest, repositories };
}

// =============================================================================================
// save
// =============================================================================================

export interface SaveOptions {
  paths: Paths;
  stores: Stores;
  /** As typed: `busybox` (every tag of the repository), `busybox:1`, an id or id prefix, `name@digest`. */
  names: string[];
  format: ArchiveFormat;
  /** Receives the uncompressed tar; it is ended when the archive is complete. */
  output: Writable;
}

interface Selection {
  image: ImageRecord;
  /** Full names (`docker.io/library/busybox:latest`) to write with the image. */
  tags: string[];
}

/** Writes the images to `output` as one archive; a missing name fails before anything is written. */
export async function saveImages(options: SaveOptions): Promise<void> {
  const { stores } = options;
  if (options.format !== 'docker-archive' && options.format !== 'oci-archive') {
    throw new SkiffError(`unknown archive format "${String(options.format)}": use docker-archive or oci-archive`, ExitCode.failure);
  }
  const selected = await selectImages(stores, options.names);
  await stores.lease(async () => {
    const tmp = tmpDirOf(options.paths);
    await mkdir(tmp, { recursive: true });
    const stage = await mkdtemp(join(tmp, 'save-'));
    try {
      const blobsDir = join(stage, 'blobs', 'sha256');
      await mkdir(blobsDir, { recursive: true });
      const written = new Set<string>();
      // The archive is staged as symlinks into the content store and tar follows them: blobs are read once, by tar.
      const linkBlob = async (digest: string) => {
        if (written.has(digest)) return;
        written.add(digest);
        await symlink(stores.content.path(digest), join(stage, blobPath(digest)));
      };
      const writeBlob = async (digest: string, bytes: Buffer) => {
        if (written.has(digest)) return;
        written.add(digest);
        await writeFile(join(stage, blobPath(digest)), bytes, { mode: 0o444 });
      };
      const saved: SavedImage[] = [];
      for (const { image, tags } of selected) {
        const shown = tags[0] ? familiarString(parseReference(tags[0])) : image.id;
        if (!(await stores.content.claim(image.configDigest))) {
          throw new SkiffError(`cannot save image ${shown}: its config ${image.configDigest} is not in the content store; pull the image again`);
        }
        await linkBlob(image.configDigest);
        const layers = [];
        for (const layer of image.layers) layers.push(await layerBlob(stores, image, layer, shown));
        for (const layer of layers) await linkBlob(layer.digest);
        const asRecorded = layers.every((l, i) => l.digest === image.layers[i]!.digest);
        let manifest: Descriptor;
        if (asRecorded && (await stores.content.claim(image.manifestDigest))) {
          const info = await stores.content.info(image.manifestDigest);
          manifest = { mediaType: image.manifestMediaType, digest: image.manifestDigest, size: info?.size ?? 0 };
          await linkBlob(image.manifestDigest);
        } else {
          // The stored manifest names blobs we no longer have: describe the ones we write instead.
          const config = await stores.content.info(image.configDigest);
          const bytes = synthesizeManifest({ digest: image.configDigest, size: config?.size ?? 0 }, layers);
          manifest = { mediaType: MediaType.ociManifest, digest: sha256Of(bytes), size: bytes.length };
          await writeBlob(manifest.digest, bytes);
        }
        saved.push({ configDigest: image.configDigest, manifest, layerDigests: layers.map((l) => l.digest), tags });
      }
      const entries = ['blobs', 'index.json', 'oci-layout'];
      await writeFile(join(stage, 'index.json'), JSON.stringify(archiveIndex(saved)));
      await writeFile(join(stage, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
      if (options.format === 'docker-archive') {
        const { manifest, repositories } = dockerArchiveDocuments(saved);
        await writeFile(join(stage, 'manifest.json'), JSON.stringify(manifest));
        entries.push('manifest.json');
        if (Object.keys(repositories).length > 0) {
          await writeFile(join(stage, 'repositories'), JSON.stringify(repositories));
          entries.push('repositories');
        }
      }
      // A fixed mtime and no owners: saving the same images twice gives the same bytes.
      const pack = tar.c({ cwd: stage, follow: true, portable: true, mtime: new Date(0) }, entries);
      await pipeline(pack as unknown as Readable, options.output);
    } finally {
      await rm(stage, { recursive: true, force: true });
    }
  });
}

/**
 * Docker's choice of images and tags for `save`: `repo:tag` is that tag; a bare repository is every tag it has (or an
 * id prefix when it has none); an id, id prefix or `name@digest` is the image without tags. Images keep the order of
 * their first mention; a name that matches nothing fails the whole save, with Docker's message.
 */
async function selectImages(stores: Stores, names: string[]): Promise<Selection[]> {
  const selected = new Map<string, Selection>();
  const add = (image: ImageRecord, tag?: string) => {
    const entry = selected.get(image.id) ?? { image, tags: [] };
    selected.set(image.id, entry);
    if (tag && !entry.tags.includes(tag)) entry.tags.push(tag);
  };
  let all: ImageRecord[] | undefined;
  for (const name of names) {
    const ref = /^(sha256:)?[0-9a-f]{64}$/.test(name) ? undefined : tryParse(name);
    if (ref?.tag !== undefined && !ref.digest) {
      const tag = `${ref.domain}/${ref.path}:${ref.tag}`;
      const image = await stores.images.find(tag);
      if (!image) throw new SkiffError('reference does not exist', ExitCode.failure);
      add(image, tag);
      continue;
    }
    if (ref && !ref.digest) {
      all ??= await stores.images.list();
      const repository = `${ref.domain}/${ref.path}:`;
      let found = false;
      for (const image of all) {
        for (const tag of image.repoTags.filter((t) => t.startsWith(repository)).sort()) {
          add(image, tag);
          found = true;
        }
      }
      if (found) continue;
    }
    const image = await stores.images.find(name);
    if (!image) throw new SkiffError(`No such image: ${name}`, ExitCode.failure);
    add(image);
  }
  return [...selected.values()];
}

/**
 * The blob to write for a layer: the recorded one; else any stored blob with the same diffID (a pull that found the
 * layer unpacked already skips its download); else the uncompressed tar under the diffID (what load keeps).
 */
async function layerBlob(stores: Stores, image: ImageRecord, layer: ImageLayer, shown: string): Promise<{ digest: string; size: number; mediaType: string }> {
  const stored = async (digest: string, mediaType: string) => {
    if (!(await stores.content.claim(digest))) return undefined;
    const info = await stores.content.info(digest);
    return info && { digest, size: info.size, mediaType };
  };
  const recorded = await stored(layer.digest, layer.mediaType);
  if (recorded) return recorded;
  for (const other of await stores.images.list()) {
    for (const l of other.layers) {
      const found = l.diffId === layer.diffId && l.digest !== layer.digest ? await stored(l.digest, l.mediaType) : undefined;
      if (found) return found;
    }
  }
  const uncompressed = await stored(layer.diffId, OciMediaType.layer);
  if (uncompressed) return uncompressed;
  throw new SkiffError(`cannot save image ${shown}: layer ${layer.diffId} is unpacked but its blob is not in the content store; remove the image and pull it again, then save`);
}

// =============================================================================================
// load
// =============================================================================================

export interface LoadOptions {
  paths: Paths;
  stores: Stores;
  /** The archive: a tar, gzip-compressed or not (zstd too where Node has it). */
  input: Readable;
  /** No layer progress (Docker's `load -q`); the result lines are the same. */
  quiet?: boolean;
  /** Layer progress (`Loading layer`), as pull reports it. */
  progress?: PullProgress;
  /** Which image to take from a multi-platform index in an OCI archive; the host's by default. */
  platform?: Platform;
}

export interface LoadResult {
  images: ImageRecord[];
  /** Docker's output, in order: `Loaded image: busybox:latest`, `Loaded image ID: sha256:…`, and
   * `The image … already exists, renaming the old one with ID … to empty string` when a tag moves. */
  lines: string[];
}

/** One image to load, found in the archive's documents; names are paths inside the unpacked archive. */
interface LoadPlan {
  config: string;
  /** The digest the archive says the config has (OCI), checked against the bytes. */
  configDigest?: string;
  tags: string[];
  layers: Array<{ name: string; digest?: string; mediaType?: string }>;
  /** The image's own manifest, when the archive has one that describes exactly these blobs. */
  manifest?: { digest: string; mediaType: string; bytes: Buffer };
}

export async function loadImages(options: LoadOptions): Promise<LoadResult> {
  const { paths, stores } = options;
  const inputFailure = watchErrors(options.input);
  const tmp = tmpDirOf(paths);
  await mkdir(tmp, { recursive: true });
  // Archives are not ordered usefully (manifest.json may come last), so the archive is unpacked here first; its
  // entries are blobs and small JSON documents, never an image's files (those go through the helper).
  const dir = await mkdtemp(join(tmp, 'load-'));
  try {
    await extractArchive(options.input, inputFailure, dir);
    const plans = await planLoad(dir, options.platform ?? hostPlatform());
    const result: LoadResult = { images: [], lines: [] };
    await stores.lease(async () => {
      for (const plan of plans) {
        const { image, lines } = await loadOne(dir, plan, options);
        result.images.push(image);
        result.lines.push(...lines);
      }
    });
    return result;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function extractArchive(input: Readable, inputFailure: { error?: Error }, dir: string): Promise<void> {
  const readFailure = (err: Error) => new SkiffError(`cannot read the archive: ${err.message}`, ExitCode.engine, { cause: err });
  if (inputFailure.error) throw readFailure(inputFailure.error);
  let entries = 0;
  const warnings: string[] = [];
  const unpack = tar.x({
    cwd: dir,
    preserveOwner: false,
    // Files and links only: directories are made as needed with ordinary modes, so the temp dir can always be removed.
    filter: (_path, entry) => {
      const type = (entry as tar.ReadEntry).type;
      const keep = type === 'File' || type === 'OldFile' || type === 'ContiguousFile' || type === 'SymbolicLink' || type === 'Link';
      if (keep) entries++;
      return keep;
    },
    onwarn: (code: string, message: string) => { warnings.push(`${message} (${code})`); },
  });
  await new Promise<void>((resolve, reject) => {
    unpack.on('close', () => resolve());
    unpack.on('error', (err: NodeJS.ErrnoException) => {
      input.destroy();
      reject(String(err.code).startsWith('TAR_')
        ? new SkiffError(`invalid archive: the input is not a tar archive (${err.message}); load reads what docker save, podman save or skiff save wrote`, ExitCode.engine, { cause: err })
        : new SkiffError(`cannot unpack the archive into ${dir}: ${err.message}`, ExitCode.engine, { cause: err }));
    });
    input.on('error', (err) => reject(readFailure(err)));
    input.pipe(unpack as unknown as Writable);
  });
  if (entries === 0) {
    const why = warnings.find((w) => /TAR_BAD_ARCHIVE|Unrecognized/.test(w)) ?? warnings[0];
    throw new SkiffError(`invalid archive: ${why ? `the input is not a tar archive (${why})` : 'it is empty'}; load reads what docker save, podman save or skiff save wrote`);
  }
}

/** The path of an archive entry, refusing names and symlinks that lead outside the unpacked archive. */
async function entryPath(dir: string, name: string): Promise<string> {
  const joined = join(dir, posix.normalize(name).replace(/^(\.\.(\/|$))+/, ''));
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    throw new SkiffError(`invalid archive: it names ${name} but has no such file`);
  }
  const root = await realpath(dir);
  const rel = relative(root, real);
  if (rel === '' || rel.startsWith('..') || rel.startsWith(sep)) throw new SkiffError(`invalid archive: ${name} leads outside the archive`);
  return real;
}

async function readArchiveJson(dir: string, name: string): Promise<unknown | undefined> {
  let file: string;
  try {
    file = await entryPath(dir, name);
  } catch {
    return undefined;
  }
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new SkiffError(`invalid archive: ${name} is not valid JSON (${(err as Error).message})`);
  }
}

/** What to load: manifest.json decides (as for docker load), index.json supplies real manifests; OCI archives have only the index. */
async function planLoad(dir: string, platform: Platform): Promise<LoadPlan[]> {
  const manifestJson = await readArchiveJson(dir, 'manifest.json');
  const indexJson = await readArchiveJson(dir, 'index.json');
  if (manifestJson === undefined && indexJson === undefined) {
    const legacy = (await readArchiveJson(dir, 'repositories')) !== undefined;
    throw new SkiffError(legacy
      ? 'invalid archive: it has only the pre-1.10 "repositories" index and no manifest.json; load it with an old Docker and save it again'
      : 'invalid archive: it has neither manifest.json (docker archive) nor index.json (OCI archive); load reads what docker save, podman save or skiff save wrote');
  }
  const ociImages = indexJson === undefined ? [] : await ociPlans(dir, indexJson, platform);
  if (manifestJson === undefined) {
    if (ociImages.length === 0) throw new SkiffError('invalid archive: index.json lists no image manifests');
    return ociImages;
  }
  const plans: LoadPlan[] = [];
  for (const entry of parseDockerArchiveManifest(manifestJson)) {
    const configDigest = digestOfBlobPath(entry.Config);
    const layerDigests = entry.Layers.map(digestOfBlobPath);
    // The OCI manifest for this entry, when the archive (Docker 25, skiff) has one naming exactly these blobs.
    const match = configDigest && ociImages.find((oci) => oci.configDigest === configDigest
      && oci.layers.length === entry.Layers.length && oci.layers.every((l, i) => l.digest === layerDigests[i]));
    plans.push({
      config: entry.Config,
      configDigest,
      tags: (entry.RepoTags ?? []).map(normaliseTag),
      layers: entry.Layers.map((name, i) => ({ name, digest: layerDigests[i], mediaType: match ? match.layers[i]!.mediaType : undefined })),
      manifest: match ? match.manifest : undefined,
    });
  }
  return plans;
}

/** A RepoTags entry (`busybox:latest`, familiar) as the store's full name. */
function normaliseTag(text: string): string {
  let ref: Reference;
  try {
    ref = parseReference(text);
  } catch (err) {
    throw new SkiffError(`invalid archive: manifest.json names the image "${text}": ${(err as Error).message}`);
  }
  if (ref.digest || ref.tag === undefined) throw new SkiffError(`invalid archive: manifest.json names the image "${text}", which is not a repository:tag`);
  return `${ref.domain}/${ref.path}:${ref.tag}`;
}

/** The images an OCI index.json lists: image manifests directly or through a (multi-platform) index, names from annotations. */
async function ociPlans(dir: string, indexJson: unknown, platform: Platform): Promise<LoadPlan[]> {
  const index = indexJson as { manifests?: Descriptor[] };
  if (!Array.isArray(index?.manifests)) throw new SkiffError('invalid archive: index.json has no "manifests" list');
  const byDigest = new Map<string, LoadPlan>();
  for (const top of index.manifests) {
    let descriptor: Descriptor | undefined = top;
    if (isIndexType(top.mediaType)) {
      const nested = JSON.parse((await readBlob(dir, top)).toString('utf8')) as { manifests?: Descriptor[] };
      // Only platforms whose manifest is in the archive can be loaded (a save of one platform of a multi-platform image).
      const present: Descriptor[] = [];
      for (const d of nested.manifests ?? []) if (isImageManifestType(d.mediaType) && (await exists(join(dir, blobPath(d.digest))))) present.push(d);
      descriptor = present.length === 0 ? undefined : selectPlatform({ manifests: present }, platform);
    } else if (!isImageManifestType(top.mediaType)) {
      descriptor = undefined; // Artifacts (signatures, attestations) are not images.
    }
    if (!descriptor) continue;
    const tag = imageNameFromAnnotations(top.annotations);
    const known = byDigest.get(descriptor.digest);
    if (known) {
      if (tag && !known.tags.includes(tag)) known.tags.push(tag);
      continue;
    }
    const bytes = await readBlob(dir, descriptor);
    const json = JSON.parse(bytes.toString('utf8')) as ImageManifest;
    if (!json?.config?.digest || !Array.isArray(json.layers)) throw new SkiffError(`invalid archive: manifest ${descriptor.digest} is not an image manifest`);
    byDigest.set(descriptor.digest, {
      config: blobPath(json.config.digest),
      configDigest: json.config.digest,
      tags: tag ? [tag] : [],
      layers: json.layers.map((l) => ({ name: blobPath(l.digest), digest: l.digest, mediaType: l.mediaType })),
      manifest: { digest: descriptor.digest, mediaType: manifestMediaType(json, descriptor.mediaType), bytes },
    });
  }
  return [...byDigest.values()];
}

/** A blob of the archive, checked against its descriptor's digest. */
async function readBlob(dir: string, descriptor: Descriptor): Promise<Buffer> {
  const bytes = await readFile(await entryPath(dir, blobPath(descriptor.digest)));
  const actual = sha256Of(bytes);
  if (actual !== descriptor.digest) throw new SkiffError(`invalid archive: blob ${descriptor.digest} has digest ${actual}; the archive is corrupt`);
  return bytes;
}

async function loadOne(dir: string, plan: LoadPlan, options: LoadOptions): Promise<{ image: ImageRecord; lines: string[] }> {
  const { stores } = options;
  const configBytes = await readFile(await entryPath(dir, plan.config));
  const id = sha256Of(configBytes);
  if (plan.configDigest && plan.configDigest !== id) throw new SkiffError(`invalid archive: config ${plan.configDigest} has digest ${id}; the archive is corrupt`);
  let config: ImageConfig;
  try {
    config = JSON.parse(configBytes.toString('utf8')) as ImageConfig;
  } catch (err) {
    throw new SkiffError(`invalid archive: the config of image ${id} is not valid JSON (${(err as Error).message})`);
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== plan.layers.length) {
    throw new SkiffError(`invalid archive: image ${id} lists ${plan.layers.length} layers but its config has ${diffIds.length} diff IDs; the archive is corrupt`);
  }
  const chain = chainIds(diffIds);
  const layers: ImageLayer[] = [];
  let size = 0;
  for (const [i, entry] of plan.layers.entries()) {
    const file = await entryPath(dir, entry.name);
    const compression = sniffCompression(await readHead(file, 8));
    const digest = entry.digest ?? (await hashFile(file));
    const blobSize = (await stat(file)).size;
    const layer: ImageLayer = { digest, diffId: diffIds[i]!, chainId: chain[i]!, size: blobSize, mediaType: entry.mediaType ?? layerMediaType(compression) };
    size += await storeLayer(options, options.quiet ? undefined : options.progress, file, compression, layer, i === 0 ? undefined : chain[i - 1]);
    layers.push(layer);
  }
  let manifest = plan.manifest;
  if (!manifest) {
    const bytes = synthesizeManifest({ digest: id, size: configBytes.length }, layers);
    manifest = { digest: sha256Of(bytes), mediaType: MediaType.ociManifest, bytes };
  }
  await stores.content.write(id, configBytes);
  await stores.content.write(manifest.digest, manifest.bytes);

  const lines: string[] = [];
  for (const tag of plan.tags) {
    const previous = await stores.images.find(tag);
    if (previous && previous.id !== id) {
      lines.push(`The image ${familiarString(parseReference(tag))} already exists, renaming the old one with ID ${previous.id} to empty string`);
    }
  }
  const existing = await stores.images.get(id);
  const platform = { os: config.os ?? 'linux', architecture: config.architecture ?? hostPlatform().architecture, ...(config.variant ? { variant: config.variant } : {}) };
  const fresh: ImageRecord = {
    id,
    repoTags: plan.tags,
    repoDigests: [],
    manifestDigest: manifest.digest,
    manifestMediaType: manifest.mediaType,
    configDigest: id,
    layers,
    platform,
    created: config.created,
    size,
    pulledAt: new Date().toISOString(),
  };
  // An image that is here already keeps its manifest (and with it its repo digests) when its blobs are all stored.
  const keep = existing && (await blobsPresent(stores, existing));
  const image = await stores.images.put(keep ? { ...existing, repoTags: plan.tags, repoDigests: [] } : fresh);
  if (plan.tags.length === 0) lines.push(`Loaded image ID: ${id}`);
  for (const tag of plan.tags) lines.push(`Loaded image: ${familiarString(parseReference(tag))}`);
  return { image, lines };
}

async function blobsPresent(stores: Stores, image: ImageRecord): Promise<boolean> {
  for (const digest of [image.manifestDigest, image.configDigest, ...image.layers.map((l) => l.digest)]) {
    if (!(await stores.content.claim(digest))) return false;
  }
  for (const layer of image.layers) if (!(await stores.layers.has(layer.chainId))) return false;
  return true;
}

/**
 * Puts one layer of an archive in place: unpacked into the layer store unless its chain is there already, and the
 * blob in the content store, the diffID checked either way. Returns the unpacked size.
 */
async function storeLayer(options: { paths: Paths; stores: Stores }, progress: PullProgress | undefined, file: string, compression: Compression, layer: ImageLayer, parent: string | undefined): Promise<number> {
  const { stores } = options;
  const short = layer.diffId.replace(/^sha256:/, '').slice(0, 12);
  const prepared = await stores.layers.prepare(layer.chainId);
  const haveBlob = await stores.content.claim(layer.digest);
  if (!prepared) {
    if (!haveBlob) {
      // The files are here (another image) but not this blob: store it, checking it is the same layer.
      const ingest = stores.content.ingest(layer.digest, layer.size);
      const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream> = [createReadStream(file), ingest.stream];
      const unzip = decompressor(compression);
      if (unzip) stages.push(unzip);
      stages.push(createVerifier(layer.diffId, { what: `layer ${layer.digest} (diffID)` }), discard());
      await pipeline(stages);
      await ingest.done;
    }
    progress?.layer(short, 'Loading layer', layer.size, layer.size);
    return (await stores.layers.meta(layer.chainId))?.size ?? 0;
  }
  try {
    let source: Readable = createReadStream(file);
    let ingestDone: Promise<void> | undefined;
    if (!haveBlob) {
      const ingest = stores.content.ingest(layer.digest, layer.size);
      source.on('error', (err) => ingest.stream.destroy(err));
      source = source.pipe(ingest.stream);
      ingestDone = ingest.done;
    }
    if (progress) source = source.pipe(counter((n) => progress.layer(short, 'Loading layer', n, layer.size)));
    const stats = await unpackLayer(source, { paths: options.paths, diffId: layer.diffId, compression, dir: prepared.tempDir, store: stores.layers.root, layer: layer.digest });
    await ingestDone;
    await prepared.commit({ diffId: layer.diffId, parent, size: stats.bytes });
    return stats.bytes;
  } catch (err) {
    await prepared.abort().catch(() => undefined);
    throw err;
  }
}

// =============================================================================================
// import
// =============================================================================================

export interface ImportOptions {
  paths: Paths;
  stores: Stores;
  /** The tarball (a file's or stdin's stream), or an http(s) URL to download it from. */
  source: Readable | string;
  /** `REPOSITORY[:TAG]` to tag the image with. */
  reference?: string;
  /** Dockerfile instructions (`-c`): CMD, ENTRYPOINT, ENV, EXPOSE, HEALTHCHECK, LABEL, ONBUILD, USER, VOLUME, WORKDIR. */
  changes?: string[];
  /** `-m`: the comment in the config and its history; Docker's default is `Imported from -` (or the URL). */
  message?: string;
  platform?: Platform;
  /** `Downloading from URL` for a URL source, as Docker prints it. */
  progress?: PullProgress;
}

export interface ImportResult {
  image: ImageRecord;
  /** What Docker prints: the image id, `sha256:…`. */
  id: string;
}

export async function importImage(options: ImportOptions): Promise<ImportResult> {
  const { paths, stores } = options;
  let repoTag: string | undefined;
  if (options.reference) {
    const ref = parseReference(options.reference, { exitCode: ExitCode.failure });
    if (ref.digest) throw new SkiffError('cannot import digest reference', ExitCode.failure);
    repoTag = `${ref.domain}/${ref.path}:${ref.tag ?? 'latest'}`;
  }
  // Changes first: a typo fails before a big download.
  const containerConfig = applyChanges({}, options.changes ?? []);
  const sourceFailure = typeof options.source === 'string' ? {} : watchErrors(options.source);
  const platform = options.platform ?? hostPlatform();

  const tmp = tmpDirOf(paths);
  await mkdir(tmp, { recursive: true });
  const dir = await mkdtemp(join(tmp, 'import-'));
  try {
    let source: Readable;
    let from = '-';
    if (typeof options.source === 'string') {
      from = options.source;
      options.progress?.line(`Downloading from ${from}`);
      source = await download(from);
    } else {
      if (sourceFailure.error) throw new SkiffError(`cannot read the tarball: ${sourceFailure.error.message}`, ExitCode.failure, { cause: sourceFailure.error });
      source = options.source;
    }
    // Spooled first: the diffID (of the uncompressed tar) must be known before the unpacker can check it.
    const file = join(dir, 'layer');
    const spooled = await spool(source, file);
    if (spooled.size === 0) throw new SkiffError(`nothing to import: the tarball from ${from === '-' ? 'the input' : from} is empty`, ExitCode.failure);
    const compression = tarballCompression(spooled.head);
    const diffId = await diffIdOf(file, compression);
    const created = new Date().toISOString();
    const comment = options.message ?? `Imported from ${from}`;
    const layer: ImageLayer = { digest: spooled.digest, diffId, chainId: diffId, size: spooled.size, mediaType: layerMediaType(compression) };
    return await stores.lease(async () => {
      const size = await storeLayer(options, undefined, file, compression, layer, undefined);
      const config: ImageConfig = {
        architecture: platform.architecture,
        ...(platform.variant ? { variant: platform.variant } : {}),
        comment,
        config: containerConfig,
        created,
        history: [{ created, comment }],
        os: platform.os,
        rootfs: { type: 'layers', diff_ids: [diffId] },
      };
      const configBytes = Buffer.from(JSON.stringify(config));
      const id = sha256Of(configBytes);
      const manifestBytes = synthesizeManifest({ digest: id, size: configBytes.length }, [layer]);
      const manifestDigest = sha256Of(manifestBytes);
      await stores.content.write(id, configBytes);
      await stores.content.write(manifestDigest, manifestBytes);
      const image = await stores.images.put({
        id,
        repoTags: repoTag ? [repoTag] : [],
        repoDigests: [],
        manifestDigest,
        manifestMediaType: MediaType.ociManifest,
        configDigest: id,
        layers: [layer],
        platform: { os: platform.os, architecture: platform.architecture, ...(platform.variant ? { variant: platform.variant } : {}) },
        created,
        size,
        pulledAt: created,
      });
      return { image, id };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The compression of a tarball to import; xz and bzip2 (which Docker reads) are refused with the way out. */
function tarballCompression(head: Buffer): Compression {
  if (head.length >= 6 && head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) {
    throw new SkiffError('the tarball is xz-compressed, which skiff does not read; decompress it first (xz -d) or recompress it with gzip', ExitCode.failure);
  }
  if (head.length >= 3 && head.subarray(0, 3).toString('latin1') === 'BZh') {
    throw new SkiffError('the tarball is bzip2-compressed, which skiff does not read; decompress it first (bunzip2) or recompress it with gzip', ExitCode.failure);
  }
  return sniffCompression(head);
}

/** GET an http(s) URL as a stream; a failure names the URL, as Docker's daemon does. */
async function download(url: string): Promise<Readable> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SkiffError(`cannot import from "${url}": not a file, "-" or an http(s) URL`, ExitCode.failure);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new SkiffError(`cannot import from "${url}": only http and https URLs can be downloaded`, ExitCode.failure);
  }
  const fetch = (await import('node-fetch')).default;
  let response;
  try {
    response = await fetch(url, { redirect: 'follow', headers: { 'User-Agent': `skiff/${typeof SKIFF_VERSION === 'string' ? SKIFF_VERSION : 'dev'}` } });
  } catch (err) {
    // node-fetch says `request to URL failed, reason: connect ECONNREFUSED …`: the reason is the news.
    const message = (err as Error).message;
    const reason = /reason: (.*)$/s.exec(message)?.[1] ?? message;
    throw new SkiffError(`Get "${url}": ${reason.trim()}; check the URL, or that the server is up`, ExitCode.failure, { cause: err });
  }
  if (!response.ok || !response.body) {
    // Docker quotes the body; an HTML error page is cut to its first words.
    const body = (await response.text().catch(() => '')).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 160);
    throw new SkiffError(`failed to GET ${url} with status ${response.status} ${response.statusText}${body ? `: ${body}` : ''}`, ExitCode.failure);
  }
  return response.body as unknown as Readable;
}

/** Copies a stream to a file, hashing it; returns its digest, size and first bytes. */
async function spool(source: Readable, file: string): Promise<{ digest: string; size: number; head: Buffer }> {
  const hash = createHash('sha256');
  let size = 0;
  const heads: Buffer[] = [];
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      if (size < 16) heads.push(chunk.subarray(0, 16 - size));
      size += chunk.length;
      done(null, chunk);
    },
  });
  await pipeline(source, tap, createWriteStream(file, { mode: 0o600 }));
  return { digest: `sha256:${hash.digest('hex')}`, size, head: Buffer.concat(heads) };
}

/** sha256 of a file's uncompressed content. */
async function diffIdOf(file: string, compression: Compression): Promise<string> {
  const hash = createHash('sha256');
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream> = [createReadStream(file)];
  const unzip = decompressor(compression);
  if (unzip) stages.push(unzip);
  stages.push(new Writable({ write(chunk: Buffer, _enc, done) { hash.update(chunk); done(); } }));
  try {
    await pipeline(stages);
  } catch (err) {
    throw new SkiffError(`the tarball is not valid ${compression} data (${(err as Error).message})`, ExitCode.failure, { cause: err });
  }
  return `sha256:${hash.digest('hex')}`;
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), new Writable({ write(chunk: Buffer, _enc, done) { hash.update(chunk); done(); } }));
  return `sha256:${hash.digest('hex')}`;
}

async function readHead(file: string, bytes: number): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Keeps a stream's first error from the start: a file stream fails to open (ENOENT) while temp dirs are still being
 * made, before anyone pipes it, and an unheard 'error' would end the process. */
function watchErrors(stream: Readable): { error?: Error } {
  const seen: { error?: Error } = {};
  stream.on('error', (err) => { seen.error ??= err; });
  return seen;
}

function discard(): Writable {
  return new Writable({ write: (_chunk, _enc, done) => done() });
}

/** Counts bytes flowing through, reporting at most every 100 ms. */
function counter(report: (bytes: number) => void): Transform {
  let bytes = 0;
  let last = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      const now = Date.now();
      if (now - last > 100) {
        last = now;
        report(bytes);
      }
      done(null, chunk);
    },
    flush(done) {
      report(bytes);
      done();
    },
  });
}

// =============================================================================================
// Dockerfile changes (`import -c`, `commit -c`): Docker's BuildFromConfig, pure
// =============================================================================================

/** The `config` object of an image config, with Docker's field names. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, Record<string, never>>;
  Env?: string[];
  Entrypoint?: string[];
  Cmd?: string[];
  Healthcheck?: HealthConfig;
  Volumes?: Record<string, Record<string, never>>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  OnBuild?: string[];
  Shell?: string[];
  StopSignal?: string;
}

export interface HealthConfig {
  Test: string[];
  /** Nanoseconds, as Docker stores them. */
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  Retries?: number;
}

/** What Docker accepts in `-c` (`commit` and `import`); anything else is "… is not a valid change command". */
const changeCommands = new Set(['cmd', 'entrypoint', 'healthcheck', 'env', 'expose', 'label', 'onbuild', 'user', 'volume', 'workdir']);

const changeError = (message: string) => new SkiffError(message, ExitCode.failure);

/** One parsed Dockerfile line, as buildkit's parser leaves it. */
interface ParsedLine {
  /** Lower-case instruction. */
  command: string;
  /** The line as written (continuations joined). */
  original: string;
  flags: string[];
  /** The instruction's arguments, by its parser: words, key/value pairs, or a sub-line. */
  args: string[];
  pairs?: Array<[string, string]>;
  json: boolean;
}

/**
 * Applies `-c` changes to a config the way Docker's BuildFromConfig does: the changes are joined with newlines and
 * parsed as a Dockerfile (comments, `\` continuations), every instruction must be one of those allowed, and each is
 * applied in turn with Docker's rules (shell form `CMD ls -l` → `["/bin/sh","-c","ls -l"]`, ENV/LABEL/EXPOSE/USER/
 * VOLUME/WORKDIR expand `$VAR` from the ENV set so far, relative WORKDIRs join the previous one). Errors carry the
 * daemon's words. The base is not changed.
 */
export function applyChanges(base: ContainerConfig, changes: string[]): ContainerConfig {
  const lines = parseDockerfile(changes.join('\n'));
  if (lines.length === 0) {
    if (changes.length === 0) return structuredClone(base);
    throw changeError('file with no instructions');
  }
  for (const line of lines) if (!changeCommands.has(line.command)) throw changeError(`${line.command} is not a valid change command`);
  const instructions = lines.map(parseInstruction);
  const config = structuredClone(base);
  let cmdSet = false;
  for (const apply of instructions) cmdSet = apply(config, cmdSet);
  return pruneEmpty(config);
}

/** Docker's JSON drops empty lists and maps from an image config; so do we, so that `CMD []` means no command. */
function pruneEmpty(config: ContainerConfig): ContainerConfig {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && key !== 'Healthcheck' && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out as ContainerConfig;
}

const lineWhitespace = /[\t\v\f\r ]+/;

/** buildkit's parser.Parse: logical lines (comments dropped, continuations joined) split into instruction and arguments. */
function parseDockerfile(text: string): ParsedLine[] {
  const physical = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const lines: ParsedLine[] = [];
  const continued = (l: string) => /\\[ \t]*$/.test(l);
  const trimContinuation = (l: string) => l.replace(/\\[ \t]*$/, '');
  const isComment = (l: string) => /^[ \t]*#/.test(l);
  for (let i = 0; i < physical.length; i++) {
    let line = physical[i]!.replace(/^[ \t\v\f\r]+/, '');
    if (isComment(line)) line = '';
    let more = continued(line);
    line = trimContinuation(line);
    if (!more && line.trim() === '') continue;
    while (more && i + 1 < physical.length) {
      const next = physical[++i]!;
      if (isComment(next)) continue;
      if (next.trim() === '') continue;
      more = continued(next);
      line += trimContinuation(next);
    }
    if (line.trim() === '') continue;
    lines.push(parseLine(line));
  }
  return lines;
}

function parseLine(line: string): ParsedLine {
  const trimmed = line.trim();
  const match = /^(\S+)(?:[\t\v\f\r ]+([\s\S]*))?$/.exec(trimmed)!;
  const command = match[1]!.toLowerCase();
  const { rest, flags } = extractFlags(match[2] ?? '');
  const args = rest.trim();
  const parsed: ParsedLine = { command, original: line, flags, args: [], json: false };
  switch (command) {
    case 'cmd': case 'entrypoint': case 'run': case 'shell': {
      const json = parseJsonArray(args);
      if (json) Object.assign(parsed, { args: json, json: true });
      else if (args !== '') parsed.args = [args];
      break;
    }
    case 'volume': {
      const json = parseJsonArray(args);
      if (json) Object.assign(parsed, { args: json, json: true });
      else if (args !== '') parsed.args = args.split(lineWhitespace);
      break;
    }
    case 'expose':
      if (args !== '') parsed.args = args.split(lineWhitespace);
      break;
    case 'env': case 'label':
      parsed.pairs = parseNameValues(args, command.toUpperCase());
      break;
    case 'user': case 'workdir':
      if (args !== '') parsed.args = [args];
      break;
    case 'onbuild':
      if (args !== '') {
        parseLine(args); // The trigger must parse as a line of its own (`ONBUILD ENV A` fails as ENV does).
        parsed.args = [args];
      }
      break;
    case 'healthcheck': {
      const typeMatch = /^(\S+)\s*([\s\S]*)$/.exec(args);
      if (typeMatch) {
        const json = parseJsonArray(typeMatch[2]!);
        parsed.args = [typeMatch[1]!, ...(json ?? (typeMatch[2] !== '' ? [typeMatch[2]!] : []))];
        parsed.json = json !== undefined;
      }
      break;
    }
    default:
      break; // Not allowed in changes: reported by name before any argument matters.
  }
  return parsed;
}

/** buildkit's extractBuilderFlags: leading `--name=value` words, quotes and `\` honoured; `--` ends them. */
function extractFlags(line: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < line.length && /\s/.test(line[pos]!)) pos++;
    if (pos >= line.length) return { rest: '', flags };
    if (!line.startsWith('--', pos)) return { rest: line.slice(pos), flags };
    let word = '';
    let quote = '';
    for (; pos < line.length; pos++) {
      const ch = line[pos]!;
      if (quote) {
        if (ch === quote) { quote = ''; continue; }
        if (ch === '\\' && pos + 1 < line.length) { word += line[++pos]; continue; }
        word += ch;
        continue;
      }
      if (/\s/.test(ch)) break;
      if (ch === '"' || ch === "'") { quote = ch; continue; }
      if (ch === '\\' && pos + 1 < line.length) { word += line[++pos]; continue; }
      word += ch;
    }
    if (word === '--') return { rest: line.slice(pos), flags };
    flags.push(word);
  }
}

const notStringArray = 'when using JSON array syntax, arrays must be comprised of strings only';

/**
 * The JSON form of CMD/ENTRYPOINT/VOLUME: an array of strings at the start of the text. Like Go's json.Decoder, only the
 * first value counts (`["a"] junk` is `["a"]`); anything that is not a JSON array is the shell form (undefined).
 */
export function parseJsonArray(text: string): string[] | undefined {
  const start = text.search(/\S/);
  if (start === -1 || text[start] !== '[') return undefined;
  let depth = 0;
  let inString = false;
  let end = -1;
  for (let i = start; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '[' || ch === '{') depth++;
    else if (ch === ']' || ch === '}') {
      depth--;
      if (depth === 0) { end = i; break; }
    }
  }
  if (end === -1) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text.slice(start, end + 1));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value)) return undefined;
  if (value.some((v) => typeof v !== 'string')) throw changeError(notStringArray);
  return value as string[];
}

/** buildkit's parseNameVal: `KEY name value` (legacy, one pair) or `KEY a=1 b="x y"`; values unprocessed yet. */
function parseNameValues(rest: string, key: string): Array<[string, string]> {
  const words = splitWords(rest);
  if (words.length === 0) return [];
  if (!words[0]!.includes('=')) {
    const parts = rest.split(lineWhitespace);
    if (parts.length < 2 || rest.trim() === parts[0]) throw changeError(`${key} must have two arguments`);
    const space = /[\t\v\f\r ]+/.exec(rest)!;
    return [[rest.slice(0, space.index), rest.slice(space.index + space[0].length)]];
  }
  return words.map((word) => {
    const eq = word.indexOf('=');
    if (eq === -1) throw changeError(`Syntax error - can't find = in ${JSON.stringify(word)}. Must be of the form: name=value`);
    return [word.slice(0, eq), word.slice(eq + 1)];
  });
}

/** buildkit's parseWords: split on whitespace outside quotes, keeping the quotes and escapes for later processing. */
function splitWords(rest: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote = '';
  let blankOk = false;
  const chars = Array.from(rest);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (!inWord) {
      if (/\s/.test(ch)) continue;
      inWord = true;
    }
    if (quote) {
      if (ch === quote) quote = '';
      if (ch === '\\' && quote !== "'") {
        if (i + 1 === chars.length) { quote = ''; continue; }
        word += ch + chars[++i]!;
        continue;
      }
      word += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (blankOk || word.length > 0) words.push(word);
      word = '';
      blankOk = false;
      inWord = false;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      blankOk = true;
    }
    if (ch === '\\') {
      if (i + 1 === chars.length) continue;
      word += ch + chars[++i]!;
      continue;
    }
    word += ch;
  }
  if (inWord && (blankOk || word.length > 0)) words.push(word);
  return words;
}

type Apply = (config: ContainerConfig, cmdSet: boolean) => boolean;

/** buildkit's instruction parsing (argument counts, flags) and moby's dispatch (what each does to the config). */
function parseInstruction(line: ParsedLine): Apply {
  const name = line.command.toUpperCase();
  const flagValues = parseFlags(line.flags, name === 'HEALTHCHECK' ? ['interval', 'timeout', 'start-period', 'retries'] : []);
  const atLeastOne = () => { if (line.args.length === 0) throw changeError(`${name} requires at least one argument`); };
  const exactlyOne = () => { if (line.args.length !== 1) throw changeError(`${name} requires exactly one argument`); };
  const shell = (config: ContainerConfig) => config.Shell && config.Shell.length > 0 ? config.Shell : ['/bin/sh', '-c'];
  switch (line.command) {
    case 'cmd':
      return (config) => {
        config.Cmd = line.json ? [...line.args] : [...shell(config), ...line.args];
        return true;
      };
    case 'entrypoint':
      return (config, cmdSet) => {
        config.Entrypoint = !line.json && line.args.length === 1 ? [...shell(config), ...line.args] : [...line.args];
        // An ENTRYPOINT drops an inherited CMD unless a CMD was given before it, as in a Dockerfile.
        if (!cmdSet) delete config.Cmd;
        return true;
      };
    case 'env':
    case 'label': {
      const pairs = line.pairs ?? [];
      if (pairs.length === 0) throw changeError(`${name} requires at least one argument`);
      if (pairs.some(([key]) => key === '')) throw changeError(`${name} names can not be blank`);
      return (config, cmdSet) => {
        const env = config.Env ?? [];
        const expanded = pairs.map(([key, value]) => [processWord(key, env), processWord(value, env)] as const);
        if (line.command === 'label') {
          config.Labels = { ...config.Labels };
          for (const [key, value] of expanded) config.Labels[key] = value;
          return cmdSet;
        }
        config.Env = [...env];
        for (const [key, value] of expanded) {
          const at = config.Env.findIndex((e) => e.split('=', 1)[0] === key);
          if (at === -1) config.Env.push(`${key}=${value}`);
          else config.Env[at] = `${key}=${value}`;
        }
        return cmdSet;
      };
    }
    case 'expose':
      atLeastOne();
      return (config, cmdSet) => {
        const env = config.Env ?? [];
        const ports = line.args.flatMap((p) => processWords(p, env));
        config.ExposedPorts = { ...config.ExposedPorts };
        for (const spec of ports) for (const port of parsePortSpec(spec)) config.ExposedPorts[port] = {};
        return cmdSet;
      };
    case 'user':
      exactlyOne();
      return (config, cmdSet) => {
        config.User = processWord(line.args[0]!, config.Env ?? []);
        return cmdSet;
      };
    case 'volume':
      atLeastOne();
      return (config, cmdSet) => {
        config.Volumes = { ...config.Volumes };
        for (const raw of line.args) {
          const volume = processWord(raw, config.Env ?? []);
          if (volume === '') throw changeError('VOLUME specified can not be an empty string');
          config.Volumes[volume] = {};
        }
        return cmdSet;
      };
    case 'workdir':
      exactlyOne();
      return (config, cmdSet) => {
        const requested = processWord(line.args[0]!, config.Env ?? []);
        if (requested === '') throw changeError('cannot normalize nothing');
        config.WorkingDir = requested.startsWith('/') ? requested : posix.join('/', config.WorkingDir ?? '', requested);
        return cmdSet;
      };
    case 'onbuild': {
      atLeastOne();
      const trigger = line.args[0]!.trim().split(/\s+/, 1)[0]!.toUpperCase();
      if (trigger === 'ONBUILD') throw changeError('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'MAINTAINER' || trigger === 'FROM') throw changeError(`${trigger} isn't allowed as an ONBUILD trigger`);
      const expression = line.original.replace(/^\s*ONBUILD\s*/i, '');
      return (config, cmdSet) => {
        config.OnBuild = [...(config.OnBuild ?? []), expression];
        return cmdSet;
      };
    }
    case 'healthcheck': {
      atLeastOne();
      const type = line.args[0]!.toUpperCase();
      const rest = line.args.slice(1);
      let health: HealthConfig;
      if (type === 'NONE') {
        if (rest.length > 0) throw changeError('HEALTHCHECK NONE takes no arguments');
        health = { Test: ['NONE'] };
      } else {
        if (type !== 'CMD') throw changeError(`Unknown type ${JSON.stringify(type)} in HEALTHCHECK (try CMD)`);
        const command = line.json ? rest : rest.length > 0 ? [rest.join(' ')] : [];
        if (command.length === 0) throw changeError('Missing command after HEALTHCHECK CMD');
        health = { Test: [line.json ? 'CMD' : 'CMD-SHELL', ...command] };
        for (const [flag, field] of [['interval', 'Interval'], ['timeout', 'Timeout'], ['start-period', 'StartPeriod']] as const) {
          const value = flagValues.get(flag);
          if (!value) continue;
          const ns = parseGoDuration(value);
          if (ns < 1_000_000) throw changeError(`Interval ${JSON.stringify(flag)} cannot be less than 1ms`);
          health[field] = ns;
        }
        const retries = flagValues.get('retries');
        if (retries) {
          if (!/^[+-]?\d+$/.test(retries)) throw changeError(`strconv.ParseInt: parsing ${JSON.stringify(retries)}: invalid syntax`);
          const n = Number(retries);
          if (n < 1) throw changeError(`--retries must be at least 1 (not ${n})`);
          health.Retries = n;
        }
      }
      return (config, cmdSet) => {
        config.Healthcheck = health;
        return cmdSet;
      };
    }
    default:
      throw changeError(`${line.command} is not a valid change command`);
  }
}

/** buildkit's BFlags: `--name=value` for the names an instruction declares; Docker's messages otherwise. */
function parseFlags(flags: string[], known: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const flag of flags) {
    if (!flag.startsWith('--')) throw changeError(`Arg should start with -- : ${flag}`);
    const body = flag.slice(2);
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    if (!known.includes(name)) throw changeError(`Unknown flag: ${name}`);
    if (values.has(name)) throw changeError(`Duplicate flag specified: ${name}`);
    if (eq === -1) throw changeError(`Missing a value on flag: ${name}`);
    values.set(name, body.slice(eq + 1));
  }
  return values;
}

/** nat.ParsePortSpec as EXPOSE uses it: `80`, `80/udp`, `8000-8002/tcp`, `[ip:][host:]port[/proto]`; returns `port/proto` keys. */
export function parsePortSpec(spec: string): string[] {
  const parts = spec.split(':');
  const containerPart = parts[parts.length - 1]!;
  const slash = containerPart.split('/');
  let proto = '';
  let port = '';
  if (containerPart !== '' && slash[0] !== '') {
    port = slash[0]!;
    proto = slash.length === 1 || slash[1] === '' ? 'tcp' : slash[1]!;
  }
  if (port === '') throw changeError(`No port specified: ${spec}<empty>`);
  const range = parsePortRange(port);
  if (!range) throw changeError(`Invalid containerPort: ${port}`);
  const lower = proto.toLowerCase();
  if (!['tcp', 'udp', 'sctp'].includes(lower)) throw changeError(`Invalid proto: ${proto}`);
  const ports: string[] = [];
  for (let p = range[0]; p <= range[1]; p++) ports.push(`${p}/${lower}`);
  return ports;
}

function parsePortRange(text: string): [number, number] | undefined {
  const parseOne = (t: string) => (/^\d+$/.test(t) && Number(t) <= 65535 ? Number(t) : undefined);
  if (!text.includes('-')) {
    const p = parseOne(text);
    return p === undefined ? undefined : [p, p];
  }
  const [a, b] = text.split('-');
  const start = parseOne(a ?? '');
  const end = parseOne(b ?? '');
  if (start === undefined || end === undefined || end < start) return undefined;
  return [start, end];
}

/** Go's time.ParseDuration, in nanoseconds, with its error messages. */
export function parseGoDuration(text: string): number {
  const invalid = () => changeError(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  const units: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  while (s !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (number[0] === '' || number[0] === '.') throw invalid();
    s = s.slice(number[0].length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (unit === '') throw changeError(`time: missing unit in duration ${JSON.stringify(text)}`);
    const scale = units[unit];
    if (scale === undefined) throw changeError(`time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(text)}`);
    s = s.slice(unit.length);
    total += Number(`${number[1] || '0'}.${number[2] || '0'}`) * scale;
  }
  return sign * Math.round(total);
}

// ---------------------------------------------------------------------------------------------
// buildkit's shell lexer (ProcessWord / ProcessWords): quotes, `\` escapes, $VAR and ${VAR[:-+?]word}
// ---------------------------------------------------------------------------------------------

/** One word with quotes removed and variables expanded from `env` (`KEY=value` strings). */
export function processWord(word: string, env: string[]): string {
  return lexWord(word, env).result;
}

/** Like processWord, but split into words on whitespace that is not quoted (EXPOSE $PORTS). */
export function processWords(word: string, env: string[]): string[] {
  return lexWord(word, env).words;
}

function lexWord(word: string, env: string[]): { result: string; words: string[] } {
  try {
    const lexer = createLexer(Array.from(word), env);
    return lexer.processStopOn(undefined);
  } catch (err) {
    if (err instanceof SkiffError) throw changeError(`failed to process ${JSON.stringify(word)}: ${err.message}`);
    throw err;
  }
}

function createLexer(chars: string[], env: string[]) {
  let pos = 0;
  const peek = () => chars[pos];
  const next = () => chars[pos++];
  const fail = (message: string) => new SkiffError(message, ExitCode.failure);
  const getEnv = (name: string): string | undefined => {
    for (const entry of env) {
      const eq = entry.indexOf('=');
      if (eq === -1 ? entry === name : entry.slice(0, eq) === name) return eq === -1 ? '' : entry.slice(eq + 1);
    }
    return undefined;
  };

  function words() {
    const list: string[] = [];
    let current = '';
    let inWord = false;
    const addRawChar = (ch: string) => { current += ch; inWord = true; };
    const addChar = (ch: string) => {
      if (/\s/.test(ch)) {
        if (inWord && current.length > 0) {
          list.push(current);
          current = '';
          inWord = false;
        }
      } else addRawChar(ch);
    };
    return {
      addChar,
      addRawChar,
      addString: (s: string) => { for (const ch of s) addChar(ch); },
      addRawString: (s: string) => { current += s; inWord = true; },
      get: () => (current.length > 0 ? [...list, current] : list),
    };
  }

  function processStopOn(stop: string | undefined): { result: string; words: string[] } {
    let result = '';
    const collected = words();
    while (peek() !== undefined) {
      const ch = peek()!;
      if (stop !== undefined && ch === stop) {
        next();
        return { result, words: collected.get() };
      }
      if (ch === "'" || ch === '"' || ch === '$') {
        const text = ch === "'" ? singleQuote() : ch === '"' ? doubleQuote() : dollar();
        result += text;
        if (ch === '$') collected.addString(text);
        else collected.addRawString(text);
        continue;
      }
      let c = next()!;
      if (c === '\\') {
        const escaped = next();
        if (escaped === undefined) break;
        c = escaped;
        collected.addRawChar(c);
      } else {
        collected.addChar(c);
      }
      result += c;
    }
    if (stop !== undefined) throw fail(`unexpected end of statement while looking for matching ${stop}`);
    return { result, words: collected.get() };
  }

  function singleQuote(): string {
    next();
    let result = '';
    for (;;) {
      const ch = next();
      if (ch === undefined) throw fail('unexpected end of statement while looking for matching single-quote');
      if (ch === "'") return result;
      result += ch;
    }
  }

  function doubleQuote(): string {
    next();
    let result = '';
    for (;;) {
      const ch = peek();
      if (ch === undefined) throw fail('unexpected end of statement while looking for matching double-quote');
      if (ch === '"') {
        next();
        return result;
      }
      if (ch === '$') {
        result += dollar();
        continue;
      }
      let c = next()!;
      if (c === '\\') {
        const after = peek();
        if (after === undefined) continue;
        if (after === '"' || after === '$' || after === '\\') c = next()!;
      }
      result += c;
    }
  }

  function name(): string {
    let text = '';
    while (peek() !== undefined) {
      const ch = peek()!;
      if (text === '' && /\d/.test(ch)) {
        while (peek() !== undefined && /\d/.test(peek()!)) text += next();
        return text;
      }
      if (text === '' && '@*#?-$!'.includes(ch)) return next()!;
      if (!/[\p{L}\p{N}_]/u.test(ch)) break;
      text += next();
    }
    return text;
  }

  function dollar(): string {
    next();
    if (peek() !== '{') {
      const n = name();
      return n === '' ? '$' : getEnv(n) ?? '';
    }
    next();
    const first = peek();
    if (first === undefined) throw fail("syntax error: missing '}'");
    if (first === '{' || first === '}' || first === ':') throw fail('syntax error: bad substitution');
    const n = name();
    const ch = next();
    if (ch === '}') return getEnv(n) ?? '';
    if (ch === ':') {
      const modifier = next();
      let word: string;
      try {
        word = processStopOn('}').result;
      } catch (err) {
        if (peek() === undefined) throw fail("syntax error: missing '}'");
        throw err;
      }
      const value = getEnv(n);
      switch (modifier) {
        case '+': return value ? word : value ?? '';
        case '-': return value ? value : word;
        case '?':
          if (value === undefined) throw fail(`${n}: ${word || 'is not allowed to be unset'}`);
          return value;
        default: throw fail(`unsupported modifier (${modifier ?? ''}) in substitution`);
      }
    }
    throw fail("missing ':' in substitution");
  }

  return { processStopOn };
}
