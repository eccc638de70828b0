// Object ids as Docker shapes them: 64 lowercase hex characters, shown as a 12-character short form.
import { randomHex } from '../util/random';

const fullId = /^[0-9a-f]{64}$/;
const idPrefix = /^[0-9a-f]{1,64}$/;

/** Length of the short form `docker ps` prints. */
export const shortIdLength = 12;

/** A new random id. Like Docker, never one whose short form is all digits: such a short id
 * reads as a number to YAML, shells and templates, and would be a confusing name-like ref. */
export function newId(): string {
  for (;;) {
    const id = randomHex(32);
    if (!/^[0-9]+$/.test(id.slice(0, shortIdLength))) return id;
  }
}

/** The 12-character form; an `algorithm:` prefix (image ids are `sha256:<hex>`) is dropped first. */
export function shortId(id: string): string {
  return stripAlgorithm(id).slice(0, shortIdLength);
}

/** True for a full id: exactly 64 lowercase hex characters. */
export function isId(value: string): boolean {
  return fullId.test(value);
}

/** True for something that could be the start of an id: 1 to 64 lowercase hex characters. */
export function isIdPrefix(value: string): boolean {
  return idPrefix.test(value);
}

/** `sha256:abc…` → `abc…`; anything without a colon is returned as it is. */
export function stripAlgorithm(value: string): string {
  const colon = value.indexOf(':');
  return colon === -1 ? value : value.slice(colon + 1);
}
