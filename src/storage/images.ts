// The image store: one record per image (keyed by its config digest, as Docker's image id) and the index of repo tags and digests.
//
// Layout under the store's directory (imageStoreDir = records.ts's directory for images):
//   <hex>.json               the image record without its names, via records.ts (id = config digest hex)
//   repositories.json        { "refs": { "docker.io/library/busybox:latest": "sha256:…",
//                                        "docker.io/library/busybox@sha256:<manifest>": "sha256:…" } }
//   repositories.json.lock/  held by every change to the store (lock.ts)
//
// Names live only in the index, never in the records: moving a tag from one image to another is then one
// atomic write of one file, and a crash cannot leave two images claiming one tag. An image's repoTags and
// repoDigests are read from the index when the image is read. The record is written before the index
// when an image is stored, and the index before the record when it is removed, so a crash in between
// leaves at worst a dangling image (no names, `<none>`), which Docker also keeps and rmi removes.
//
// Every change holds the one store-wide lock: changes are rare and quick (a pull holds it for the final
// few milliseconds), and one lock makes "take this tag from whoever has it" a single step. Reads take no
// lock: every file is replaced atomically.
import { join } from 'node:path';
import { ExitCode, SkiffError } from '../errors';
import { readJson, writeJsonAtomic } from './atomic';
import { digestHex } from './content';
import { isId, isIdPrefix } from './ids';
import { type HeldLock, type LockOptions, withLock } from './lock';
import { openRecords, recordsDir } from './records';

/** Where image records and the name index live under the data directory. */
export function imageStoreDir(dataDir: string): string {
  return recordsDir(dataDir, 'image');
}

export interface ImageLayer {
  /** The layer blob as the manifest names it (usually compressed). */
  digest: string;
  /** Digest of the uncompressed tar, from the config's rootfs.diff_ids. */
  diffId: string;
  /** The layer store's key (layers.ts chainIds). */
  chainId: string;
  /** Bytes of the blob, from the manifest. */
  size: number;
  mediaType: string;
}

export interface ImagePlatform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface ImageRecord {
  /** `sha256:` + hex of the config digest, as Docker's image id. */
  id: string;
  /** Full names: `docker.io/library/busybox:latest`. Sorted. */
  repoTags: string[];
  /** `docker.io/library/busybox@sha256:<manifest digest>`. Sorted. */
  repoDigests: string[];
  manifestDigest: string;
  manifestMediaType: string;
  configDigest: string;
  /** Bottom layer first. */
  layers: ImageLayer[];
  platform: ImagePlatform;
  /** The config's `created`, when it has one. */
  created?: string;
  /** Sum of the unpacked layer sizes. */
  size: number;
  /** ISO time the image was stored. */
  pulledAt: string;
}

/** A reference split the way the store needs it: `name` is the full repository name (`docker.io/library/busybox`). */
export interface NormalisedReference {
  name: string;
  tag?: string;
  digest?: string;
}

export interface ImageStoreOptions {
  /** Turns what a user typed into a full reference, or undefined when it is not one. The CLI passes
   * image/reference.ts's parser; the default accepts only names already in full form. */
  normalise?: (text: string) => NormalisedReference | undefined;
  lock?: LockOptions;
}

export interface ImageStore {
  readonly dir: string;
  /** Stores an image, or merges into the stored one: its repoTags and repoDigests are added (tags are
   * taken from any other image that had them); its other fields replace the stored ones. */
  put(image: ImageRecord): Promise<ImageRecord>;
  /** By full id (`sha256:…` or bare hex); undefined when absent. */
  get(id: string): Promise<ImageRecord | undefined>;
  /** Docker's lookup order: a full id, then a name (`repo:tag`, `repo@digest`, a bare repo meaning
   * `:latest`), then a unique id prefix (`sha256:` optional). Undefined when nothing matches; an
   * ambiguous prefix is an error. */
  find(nameOrId: string): Promise<ImageRecord | undefined>;
  /** As find, but a missing image is Docker's "No such image" error. */
  resolve(nameOrId: string): Promise<ImageRecord>;
  /** Points `ref` (a tag; `:latest` when it has none) at the image, taking it from any other image, which
   * keeps its other names or becomes dangling. Returns the id that held the tag before, if another. */
  tag(id: string, ref: string): Promise<string | undefined>;
  /** Removes a tag or digest name; returns the id it pointed to. */
  untag(ref: string): Promise<string>;
  /** Removes the image and every name pointing at it; returns it as it was. */
  remove(id: string): Promise<ImageRecord>;
  list(): Promise<ImageRecord[]>;
}

/** What a record file holds: the image without its names, with records.ts's bare-hex id. */
type StoredImage = Omit<ImageRecord, 'id' | 'repoTags' | 'repoDigests'> & { id: string };

interface RefIndex {
  refs: Record<string, string>;
}

const indexFile = 'repositories.json';

export function openImageStore(dir: string, options: ImageStoreOptions = {}): ImageStore {
  const records = openRecords<StoredImage>(dir, 'image', { lock: options.lock });
  const normalise = options.normalise ?? splitFullReference;
  const indexPath = join(dir, indexFile);

  const readRefs = async () => (await readJson<RefIndex>(indexPath))?.refs ?? {};

  async function writeRefs(refs: Record<string, string>, lock: HeldLock): Promise<void> {
    const sorted = Object.fromEntries(Object.entries(refs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    await writeJsonAtomic(indexPath, { refs: sorted } satisfies RefIndex, { mode: 0o600, beforeCommit: () => lock.check() });
  }

  const changing = <R>(fn: (lock: HeldLock) => Promise<R>) => withLock(indexPath, fn, options.lock);

  /** The index key for a name: `name@digest` when it has a digest (the digest decides), else `name:tag`. */
  function refKey(text: string): string {
    const ref = normalise(text);
    if (!ref) throw new SkiffError(`invalid reference format: ${text}`, ExitCode.failure);
    return ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag ?? 'latest'}`;
  }

  function withNames(stored: StoredImage, refs: Record<string, string>): ImageRecord {
    const id = `sha256:${stored.id}`;
    const names = Object.keys(refs).filter((key) => refs[key] === id).sort();
    return {
      ...stored,
      id,
      repoTags: names.filter((name) => !name.includes('@')),
      repoDigests: names.filter((name) => name.includes('@')),
    };
  }

  /** Exact lookup only, straight from records.ts's `<id>.json`: records.find would list every record on a miss. */
  const readStored = (hex: string) => readJson<StoredImage>(join(dir, `${hex}.json`));

  async function get(id: string): Promise<ImageRecord | undefined> {
    const hex = idHex(id);
    if (!hex) return undefined;
    const stored = await readStored(hex);
    return stored && withNames(stored, await readRefs());
  }

  async function find(text: string): Promise<ImageRecord | undefined> {
    const fullHex = idHex(text);
    if (fullHex) return get(fullHex); // As Docker: 64 hex characters are an id, never a name.
    let ref: NormalisedReference | undefined;
    try {
      ref = normalise(text);
    } catch {
      ref = undefined; // Not a valid name (e.g. `sha256:ab`): it may still be an id prefix.
    }
    if (ref) {
      const refs = await readRefs();
      const id = refs[ref.digest ? `${ref.name}@${ref.digest}` : `${ref.name}:${ref.tag ?? 'latest'}`];
      const stored = id ? await readStored(stripSha256(id)) : undefined;
      if (stored) return withNames(stored, refs);
    }
    const prefix = stripSha256(text);
    if (!isIdPrefix(prefix)) return undefined;
    const stored = await records.find(prefix); // Throws Docker's "multiple IDs found" on an ambiguous prefix.
    return stored && withNames(stored, await readRefs());
  }

  async function resolve(text: string): Promise<ImageRecord> {
    const image = await find(text);
    if (!image) throw notFound(text);
    return image;
  }

  async function put(image: ImageRecord): Promise<ImageRecord> {
    const hex = digestHex(image.id);
    const { repoTags, repoDigests, ...data } = image;
    const stored: StoredImage = { ...data, id: hex };
    const keys = [...repoTags, ...repoDigests].map(refKey);
    return changing(async (lock) => {
      if (await readStored(hex)) await records.update(hex, () => stored);
      else await records.create(stored);
      const refs = await readRefs();
      for (const key of keys) refs[key] = image.id;
      await writeRefs(refs, lock);
      return withNames(stored, refs);
    });
  }

  async function tag(id: string, text: string): Promise<string | undefined> {
    const ref = normalise(text);
    if (!ref) throw new SkiffError(`invalid reference format: ${text}`, ExitCode.failure);
    if (ref.digest) throw new SkiffError('refusing to create a tag with a digest reference', ExitCode.failure);
    const key = `${ref.name}:${ref.tag ?? 'latest'}`;
    const hex = idHex(id);
    return changing(async (lock) => {
      if (!hex || !(await readStored(hex))) throw notFound(id);
      const fullId = `sha256:${hex}`;
      const refs = await readRefs();
      const previous = refs[key];
      if (previous === fullId) return undefined;
      refs[key] = fullId;
      await writeRefs(refs, lock);
      return previous;
    });
  }

  async function untag(text: string): Promise<string> {
    const key = refKey(text);
    return changing(async (lock) => {
      const refs = await readRefs();
      const id = refs[key];
      if (!id) throw notFound(text);
      delete refs[key];
      await writeRefs(refs, lock);
      return id;
    });
  }

  async function remove(id: string): Promise<ImageRecord> {
    const hex = idHex(id);
    return changing(async (lock) => {
      const stored = hex ? await readStored(hex) : undefined;
      if (!stored) throw notFound(id);
      const refs = await readRefs();
      const image = withNames(stored, refs);
      // Names first: a crash before the record goes leaves a dangling image, never a name pointing at nothing.
      if (image.repoTags.length + image.repoDigests.length > 0) {
        for (const name of [...image.repoTags, ...image.repoDigests]) delete refs[name];
        await writeRefs(refs, lock);
      }
      await records.remove(stored.id);
      return image;
    });
  }

  async function list(): Promise<ImageRecord[]> {
    const [stored, refs] = await Promise.all([records.list(), readRefs()]);
    return stored.map((image) => withNames(image, refs));
  }

  return { dir, put, get, find, resolve, tag, untag, remove, list };
}

function notFound(ref: string): SkiffError {
  return new SkiffError(`No such image: ${ref}`, ExitCode.failure);
}

function stripSha256(text: string): string {
  return text.startsWith('sha256:') ? text.slice('sha256:'.length) : text;
}

/** The hex of a full image id, with or without `sha256:`; undefined for anything else. */
function idHex(text: string): string | undefined {
  const hex = stripSha256(text);
  return isId(hex) ? hex : undefined;
}

/** The default normalise: a name already in full form, `domain/path[:tag][@digest]`. */
export function splitFullReference(text: string): NormalisedReference | undefined {
  const at = text.indexOf('@');
  let name = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? undefined : text.slice(at + 1);
  let tag: string | undefined;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  if (!name.includes('/') || !name || tag === '' || digest === '') return undefined;
  return { name, tag, digest };
}
