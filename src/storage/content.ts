// The content store: blobs (manifests, configs, compressed layers) by digest, verified before they become visible.
//
// Layout under the store's root (contentStoreDir):
//   blobs/sha256/<hex>               one immutable blob, mode 0444, its name is its digest
//   blobs/sha256/.<hex>.<rand>.tmp   a write in progress, or what a killed writer left (swept by age)
//
// The store knows digests and bytes, nothing about images. Writers take no lock: each writes its own
// temp file, hashes while it writes, and renames into place only when the digest (and size) match, so
// a reader either finds a whole verified blob or nothing, and two processes writing the same blob both
// succeed with one file as the result (the second rename replaces identical bytes).
//
// "Last used" is the blob file's mtime: a write sets it, and claim() (the writer that finds the blob
// already there) refreshes it. Garbage collection deletes an unreferenced blob only when it was not used
// since a pull in progress began (see gc.ts), which is what keeps a blob that a pull is about to
// reference from vanishing under it.
import type { Hash } from 'node:crypto';
import { createReadStream as openReadStream, readFileSync, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { ExitCode, SkiffError } from '../errors';
import { fsyncDir, removeStaleTemps, tempPathFor, writeFileAtomic } from './atomic';
import { sha256, sha256Hex } from '../util/random';
// The stream classes load when a blob is written or verified (pull, load), not for every command.
import { nodeStream, streamPromises } from '../util/lazy';

/** Where the content store lives under the data directory. */
export function contentStoreDir(dataDir: string): string {
  return join(dataDir, 'content');
}

export interface BlobInfo {
  digest: string;
  size: number;
}

/** A blob being written while its bytes also flow on to someone else (pull unpacks while it downloads). */
export interface BlobIngest {
  /** A pass-through: write the downloaded bytes in, read the same bytes out (e.g. into a decompressor).
   * It errors, and stores nothing, when the bytes do not match the digest or the expected size; when it
   * ends without error the blob is in the store. */
  stream: Transform;
  /** Resolves once the blob is stored (or was already there); rejects when the ingest failed or was destroyed. */
  done: Promise<void>;
}

export interface DeleteOptions {
  /** Keep the blob when it was written or claimed at or after this time (ms since the epoch): a pull in
   * progress may be about to reference it. */
  unlessUsedSince?: number;
}

export interface ContentStore {
  readonly root: string;
  has(digest: string): Promise<boolean>;
  /** Where the blob is (or would be) on disk. */
  path(digest: string): string;
  info(digest: string): Promise<BlobInfo | undefined>;
  /** The whole blob; a missing blob is a SkiffError. Meant for manifests and configs, not layers. */
  readBuffer(digest: string): Promise<Buffer>;
  createReadStream(digest: string): Readable;
  /** Stores `source` as `digest`. A Readable is hashed while it is copied; a Buffer is hashed first. When the
   * blob is already stored, a Readable source is destroyed unread and nothing is written. */
  write(digest: string, source: Readable | Buffer, expectedSize?: number): Promise<void>;
  /** Stores a blob from bytes that also pass through to a reader (download once, store and unpack). */
  ingest(digest: string, expectedSize?: number): BlobIngest;
  /** True when the blob is stored, and marks it used now so that a concurrent gc keeps it (see gc.ts).
   * Use it instead of has() when skipping a download because the blob is already here. */
  claim(digest: string): Promise<boolean>;
  /** Removes the blob; false when it was not there or was kept (see DeleteOptions). */
  delete(digest: string, options?: DeleteOptions): Promise<boolean>;
  /** Every stored blob, in no particular order. */
  list(): Promise<BlobInfo[]>;
  /** Removes temp files older than `maxAgeMs` (killed writers); returns how many. */
  sweep(maxAgeMs: number): Promise<number>;
}

const sha256Digest = /^sha256:([0-9a-f]{64})$/;
const anyDigest = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const hexName = /^[0-9a-f]{64}$/;

/** The hex part of a sha256 digest; any other digest is a SkiffError that says why. */
export function digestHex(digest: string): string {
  const match = sha256Digest.exec(digest);
  if (match) return match[1];
  const other = anyDigest.exec(digest);
  if (other && other[1] !== 'sha256') {
    throw new SkiffError(`unsupported digest algorithm "${other[1]}" in ${digest}: skiff stores and verifies sha256 content only`, ExitCode.engine);
  }
  throw new SkiffError(`invalid digest "${digest}": expected sha256: followed by 64 lowercase hex characters`, ExitCode.engine);
}

/** sha256 of `data` as a digest string. */
export function sha256Of(data: string | Uint8Array): string {
  return `sha256:${sha256Hex(data)}`;
}

export interface VerifierOptions {
  expectedSize?: number;
  /** What the bytes are, for the error message: "blob" (default), "layer diff", … */
  what?: string;
}

/**
 * A pass-through that hashes what flows through it and errors at the end when the digest or size is wrong,
 * and as soon as more bytes than expected arrive. Pull puts one after the decompressor to check a layer's
 * diffID while it unpacks. Hashing in the stream keeps big blobs off any second read.
 */
export function createVerifier(digest: string, options: VerifierOptions = {}): Transform {
  digestHex(digest);
  const check = byteCheck(digest, options.expectedSize, options.what ?? 'blob');
  return new (nodeStream().Transform)({
    transform(chunk: Buffer, _encoding, callback) {
      callback(check.add(chunk), chunk);
    },
    flush(callback) {
      callback(check.finish());
    },
  });
}

/** The hashing and counting that every verified write shares. add() and finish() return the error, if any. */
function byteCheck(digest: string, expectedSize: number | undefined, what: string) {
  const hash: Hash = sha256();
  let size = 0;
  return {
    add(chunk: Buffer): SkiffError | null {
      size += chunk.length;
      if (expectedSize !== undefined && size > expectedSize) {
        return new SkiffError(`${what} ${digest} is larger than the expected ${expectedSize} bytes; the source sent different content, nothing was stored: try again`, ExitCode.engine);
      }
      hash.update(chunk);
      return null;
    },
    finish(): SkiffError | null {
      if (expectedSize !== undefined && size !== expectedSize) {
        return new SkiffError(`${what} ${digest} is ${size} bytes, expected ${expectedSize}: the download was cut short or the source sent different content; nothing was stored, try again`, ExitCode.engine);
      }
      const actual = `sha256:${hash.digest('hex')}`;
      if (actual !== digest) {
        return new SkiffError(`${what} verification failed: expected digest ${digest}, got ${actual} (${size} bytes); the source sent different content, nothing was stored`, ExitCode.engine);
      }
      return null;
    },
  };
}

export function openContentStore(root: string): ContentStore {
  const blobsDir = join(root, 'blobs', 'sha256');
  const pathOf = (digest: string) => join(blobsDir, digestHex(digest));
  let dirReady: Promise<unknown> | undefined;
  const ensureDir = () => (dirReady ??= fsp.mkdir(blobsDir, { recursive: true }));

  async function info(digest: string): Promise<BlobInfo | undefined> {
    try {
      return { digest, size: (await fsp.stat(pathOf(digest))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async function claim(digest: string): Promise<boolean> {
    const now = new Date();
    try {
      await fsp.utimes(pathOf(digest), now, now);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  // Synchronous: its callers read configs and manifests (kilobytes), and `run` reads one before every
  // container; a first async read would start the libuv thread pool for nothing else.
  async function readBuffer(digest: string): Promise<Buffer> {
    try {
      return readFileSync(pathOf(digest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw missing(digest);
      throw err;
    }
  }

  function ingest(digest: string, expectedSize?: number): BlobIngest {
    const final = pathOf(digest);
    const check = byteCheck(digest, expectedSize, 'blob');
    let temp: string | undefined;
    let file: FileHandle | undefined;
    let committed = false;
    let finished = false;
    let settle!: { resolve: () => void; reject: (err: Error) => void };
    const done = new Promise<void>((resolve, reject) => { settle = { resolve, reject }; });
    // A caller that only consumes the stream must not get an unhandled rejection from `done`.
    done.catch(() => undefined);

    const stream = new (nodeStream().Transform)({
      construct(callback) {
        (async () => {
          // Already stored (another pull, or an earlier one): still verify what passes through, write nothing.
          if (await claim(digest)) return;
          await ensureDir();
          temp = tempPathFor(final);
          file = await fsp.open(temp, 'wx', 0o444);
        })().then(() => callback(), (err) => callback(err));
      },
      transform(chunk: Buffer, _encoding, callback) {
        const error = check.add(chunk);
        if (error) return callback(error);
        // Pass the bytes on before our write completes: the reader (a decompressor) works while the disk does.
        this.push(chunk);
        if (!file) return callback();
        writeAll(file, chunk).then(() => callback(), callback);
      },
      flush(callback) {
        (async () => {
          const error = check.finish();
          if (error) throw error;
          if (!file || !temp) return;
          // fsync before rename, so that after a power loss the name never points at missing bytes.
          await file.sync();
          await file.close();
          file = undefined;
          await fsp.rename(temp, final);
          committed = true;
          await fsyncDir(blobsDir);
        })().then(() => { finished = true; settle.resolve(); callback(); }, (err) => callback(err));
      },
      destroy(err, callback) {
        (async () => {
          await file?.close().catch(() => undefined);
          file = undefined;
          if (temp && !committed) await fsp.unlink(temp).catch(() => undefined);
        })().then(() => {
          // Called after a successful end too (autoDestroy); only an unfinished ingest is a failure.
          if (err) settle.reject(err);
          else if (!finished) settle.reject(new SkiffError(`write of blob ${digest} was cancelled before it finished; nothing was stored`, ExitCode.engine));
          callback(err);
        });
      },
    });
    return { stream, done };
  }

  async function write(digest: string, source: Readable | Buffer, expectedSize?: number): Promise<void> {
    const final = pathOf(digest);
    if (Buffer.isBuffer(source)) {
      // Buffers are manifests and configs, already in memory and small: hash first, then one atomic write.
      const check = byteCheck(digest, expectedSize, 'blob');
      const error = check.add(source) ?? check.finish();
      if (error) throw error;
      if (await claim(digest)) return;
      await ensureDir();
      await writeFileAtomic(final, source, { mode: 0o444 });
      return;
    }
    if (await claim(digest)) {
      source.destroy();
      return;
    }
    const { stream, done } = ingest(digest, expectedSize);
    const discard = new (nodeStream().Writable)({ write: (_chunk, _encoding, callback) => callback() });
    await streamPromises().pipeline(source, stream, discard);
    await done;
  }

  async function remove(digest: string, options: DeleteOptions = {}): Promise<boolean> {
    const final = pathOf(digest);
    const since = options.unlessUsedSince;
    const usedSince = async (path: string) => since !== undefined && (await fsp.stat(path)).mtimeMs >= since;
    try {
      if (await usedSince(final)) return false;
      // Move aside, then look again: a claim() between our first look and the rename must win, and
      // after the rename a claim() fails, so its caller writes the blob anew instead of trusting it.
      const aside = tempPathFor(final);
      await fsp.rename(final, aside);
      if (await usedSince(aside)) {
        await fsp.rename(aside, final);
        return false;
      }
      await fsp.unlink(aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await fsyncDir(blobsDir);
    return true;
  }

  async function list(): Promise<BlobInfo[]> {
    let names: string[];
    try {
      names = await fsp.readdir(blobsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const blobs = await Promise.all(names.filter((name) => hexName.test(name)).map((name) => info(`sha256:${name}`)));
    return blobs.filter((blob): blob is BlobInfo => blob !== undefined);
  }

  return {
    root,
    has: async (digest) => (await info(digest)) !== undefined,
    path: pathOf,
    info,
    readBuffer,
    createReadStream: (digest) => openReadStream(pathOf(digest)),
    write,
    ingest,
    claim,
    delete: remove,
    list,
    sweep: (maxAgeMs) => removeStaleTemps(blobsDir, maxAgeMs),
  };
}

function missing(digest: string): SkiffError {
  return new SkiffError(`blob ${digest} is not in the content store; pull the image again`, ExitCode.engine);
}

/** FileHandle.write may write less than asked (rarely, for regular files); loop until all is written. */
async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await file.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}
