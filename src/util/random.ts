// Random bytes and SHA-256 for the commands that start often (run, create, ps), without node:crypto.
//
// Loading node:crypto costs about 2 ms at every start (it pulls in some fifteen internal modules:
// ciphers, keys, x509, webcrypto glue), a tenth of what `run -d` spends in JavaScript, for 56 random
// bytes (container id, temp names, lock token). The kernel's generator behind /dev/urandom is the
// one node:crypto's randomBytes reads through OpenSSL; the bytes come in one read into a small pool.
// SHA-256 and the rest still come from node:crypto, loaded on first use.
import { closeSync, openSync, readSync } from 'node:fs';
import { nodeCrypto } from './lazy';

let pool = Buffer.alloc(0);
let used = 0;

/** `n` cryptographically random bytes. */
export function randomBytes(n: number): Buffer {
  if (used + n > pool.length) refill(Math.max(256, n));
  const out = Buffer.from(pool.subarray(used, used + n));
  pool.fill(0, used, used + n);
  used += n;
  return out;
}

/** `n` random bytes as 2n lowercase hex characters. */
export function randomHex(n: number): string {
  return randomBytes(n).toString('hex');
}

/** A uniform random integer in [0, max), for max up to 2^32; rejection sampling, so no modulo bias. */
export function randomInt(max: number): number {
  if (!Number.isInteger(max) || max <= 0 || max > 2 ** 32) throw new RangeError(`randomInt: bad bound ${max}`);
  const limit = 2 ** 32 - (2 ** 32 % max);
  for (;;) {
    const value = randomBytes(4).readUInt32BE(0);
    if (value < limit) return value % max;
  }
}

function refill(size: number): void {
  const next = Buffer.alloc(size);
  let fd: number | undefined;
  try {
    fd = openSync('/dev/urandom', 'r');
    for (let got = 0; got < size;) {
      const n = readSync(fd, next, got, size - got, null);
      if (n <= 0) throw new Error('short read from /dev/urandom');
      got += n;
    }
  } catch {
    // No /dev/urandom (a minimal chroot): node:crypto reads the same generator through getrandom(2).
    nodeCrypto().randomFillSync(next);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  pool = next;
  used = 0;
}

/** A streaming SHA-256 (node:crypto's Hash). */
export function sha256(): import('node:crypto').Hash {
  return nodeCrypto().createHash('sha256');
}

/** The SHA-256 of `data`, as 64 lowercase hex characters. */
export function sha256Hex(data: string | Uint8Array): string {
  return sha256().update(data).digest('hex');
}
