// Content digests: checking their form, computing them, and a stream that verifies a blob while it passes through.
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ExitCode } from '../../errors';
import { RegistryError } from './errors';

/** The algorithms go-digest registers, with their hex length; sha256 is what registries use. */
const hexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export function isDigest(text: string): boolean {
  const colon = text.indexOf(':');
  const length = hexLength[text.slice(0, colon)];
  return colon > 0 && length !== undefined && new RegExp(`^[a-f0-9]{${length}}$`).test(text.slice(colon + 1));
}

/** Returns the digest unchanged, or throws: digests go into URLs, so only well-formed ones may. */
export function checkDigest(text: string): string {
  if (!isDigest(text)) throw new RegistryError(`invalid digest "${text}": expected sha256:<64 hex digits>`, 'invalid', { exitCode: ExitCode.engine });
  return text;
}

export function digestOf(bytes: Uint8Array, algorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

export interface VerifyOptions {
  /** The expected size in bytes, from the descriptor; more or fewer bytes is an error. */
  size?: number;
  /** Where the bytes come from, for messages: `127.0.0.1:5000/skiff-test/busybox`. */
  source: string;
}

/** A pass-through stream that counts what has gone through it. */
export interface VerifyingStream extends Transform {
  readonly bytesSeen: number;
}

/**
 * Passes bytes through while hashing them; fails (and so is destroyed, and never ends) when the
 * content does not hash to `digest` or its size differs from `size`. A consumer that pipes it into
 * a temporary file and renames on `finish` therefore never keeps bad content.
 */
export function verifyingStream(digest: string, options: VerifyOptions): VerifyingStream {
  checkDigest(digest);
  const algorithm = digest.slice(0, digest.indexOf(':'));
  const hash: Hash = createHash(algorithm);
  let seen = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      seen += chunk.length;
      if (options.size !== undefined && seen > options.size) {
        callback(sizeError(digest, options, `more than the ${options.size} bytes its descriptor gives`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (options.size !== undefined && seen !== options.size) {
        callback(sizeError(digest, options, `${seen} bytes where its descriptor gives ${options.size}`));
        return;
      }
      const actual = `${algorithm}:${hash.digest('hex')}`;
      if (actual !== digest) {
        callback(new RegistryError(
          `digest mismatch for blob ${digest} from ${options.source}: the ${seen} bytes received hash to ${actual}; the registry's copy is corrupt or was changed in transit, nothing was kept`,
          'digest-mismatch',
        ));
        return;
      }
      callback();
    },
  }) as VerifyingStream;
  Object.defineProperty(stream, 'bytesSeen', { get: () => seen });
  return stream;
}

function sizeError(digest: string, options: VerifyOptions, what: string): RegistryError {
  return new RegistryError(`size mismatch for blob ${digest} from ${options.source}: received ${what}; nothing was kept`, 'digest-mismatch');
}
