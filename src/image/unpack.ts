// Unpacks one layer: decompress the blob stream, check its diffID, and let the helper write the files
// inside the user namespace, so ownership lands on the user's subordinate ids.
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';
import { SkiffError } from '../errors';
import { log } from '../log';
import type { Paths } from '../paths';
import { createVerifier } from '../storage/content';
import { helperPath } from '../runtime/helper';
import { spawnInUserNamespace, userNamespace } from '../runtime/userns';

export interface UnpackStats {
  entries: number;
  bytes: number;
  whiteouts: number;
  opaque: number;
  skippedDevices: number;
  warnings: number;
}

export type Compression = 'gzip' | 'zstd' | 'none';

/** The compression a layer media type says it has (Docker's and OCI's names). */
export function compressionOf(mediaType: string): Compression {
  if (mediaType.endsWith('+zstd') || mediaType.endsWith('.zstd')) return 'zstd';
  if (mediaType.endsWith('gzip') || mediaType.endsWith('+gzip') || mediaType.endsWith('.tar.gzip')) return 'gzip';
  if (mediaType.endsWith('.tar') || mediaType.endsWith('layer.v1.tar') || mediaType.endsWith('.layer.v1.tar')) return 'none';
  if (mediaType === 'application/vnd.docker.image.rootfs.diff.tar') return 'none';
  if (mediaType.includes('foreign') || mediaType.includes('nondistributable')) {
    return mediaType.includes('gzip') ? 'gzip' : 'none';
  }
  throw new SkiffError(`unsupported layer media type ${mediaType}; skiff unpacks tar layers compressed with gzip, zstd or not at all`);
}

/** Sniffs the compression from the first bytes, for archives whose media type does not say (docker load). */
export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'none';
}

export function decompressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return zlib.createGunzip({ chunkSize: 256 * 1024 });
  if (compression === 'zstd') {
    const create = (zlib as unknown as { createZstdDecompress?: () => Transform }).createZstdDecompress;
    if (!create) throw new SkiffError(`zstd layers need Node.js >= 22.15 (this is ${process.version})`);
    return create();
  }
  return undefined;
}

export interface UnpackOptions {
  paths: Paths;
  /** The uncompressed tar stream of the layer is checked against this digest while it flows. */
  diffId: string;
  compression: Compression;
  /** An empty directory; the caller renames it into place on success and removes it on failure. */
  dir: string;
  /**
   * The layer store's root, where layer directories are made: the helper marks it (once) so that
   * ext4 places each new layer in a block group of its own choosing (see spread_directories()).
   */
  store?: string;
  /** Names the layer in errors (its blob digest). */
  layer: string;
}

/** Streams `source` through decompression and the diffID check into `skiff-helper unpack`. */
export async function unpackLayer(source: Readable, options: UnpackOptions): Promise<UnpackStats> {
  const ns = await userNamespace(options.paths);
  const args = [helperPath(options.paths), 'unpack', '--dir', options.dir,
    '--whiteout-format', ns.mode === 'root' ? 'overlay-trusted' : 'overlay'];
  if (ns.mode !== 'root') args.push('--skip-devices');
  if (options.store) args.push('--spread', options.store);
  const child = await spawnInUserNamespace(options.paths, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  const stages: Array<NodeJS.ReadableStream | NodeJS.WritableStream | NodeJS.ReadWriteStream> = [source];
  const unzip = decompressor(options.compression);
  if (unzip) stages.push(unzip);
  stages.push(createVerifier(options.diffId, { what: `layer ${options.layer} (diffID)` }));
  stages.push(child.stdin!);
  let streamError: unknown;
  try {
    await pipeline(stages);
  } catch (err) {
    streamError = err;
    child.kill('SIGKILL');
  }
  const [code, signal] = await exited;
  const helperError = stderr.trim().split('\n').filter((l) => !l.includes('warning')).pop();
  if (code !== 0 && helperError && !(streamError instanceof SkiffError)) {
    throw new SkiffError(`failed to unpack layer ${options.layer}: ${helperError.replace(/^skiff-helper: /, '')}`);
  }
  if (streamError) {
    if (streamError instanceof SkiffError) throw streamError;
    const e = streamError as NodeJS.ErrnoException;
    if (e.code === 'Z_DATA_ERROR' || e.code?.startsWith('ERR_ZSTD') || e.code === 'Z_BUF_ERROR') {
      throw new SkiffError(`layer ${options.layer} is not valid ${options.compression} data (${e.message}); the registry sent a corrupt blob`);
    }
    throw new SkiffError(`failed to unpack layer ${options.layer}: ${e.message}${helperError ? ` (${helperError})` : ''}`);
  }
  if (code !== 0) throw new SkiffError(`failed to unpack layer ${options.layer}: skiff-helper exited ${code ?? signal}${stderr ? `: ${stderr.trim()}` : ''}`);
  for (const line of stderr.split('\n')) {
    const warning = /^skiff-helper: (?:unpack: )?warning: (.*)$/.exec(line.trim());
    if (warning) log.warn(`layer ${options.layer.replace(/^sha256:/, '').slice(0, 12)}: ${warning[1]}`);
  }
  try {
    return JSON.parse(stdout.trim().split('\n').pop() ?? '') as UnpackStats;
  } catch {
    throw new SkiffError(`failed to unpack layer ${options.layer}: unexpected helper output ${JSON.stringify(stdout.slice(0, 200))}`);
  }
}
