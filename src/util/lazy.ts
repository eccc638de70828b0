// Modules loaded on first use rather than at start-up.
//
// Every command pays for what its modules load when they load: node:child_process brings net and
// dgram, node:stream the stream classes, node:crypto some fifteen internal modules, proper-lockfile
// its exit hook. Where only some paths of a module need one, it is reached through one of these.

/** A function that calls load once, on its first call, and returns the same value ever after. */
export function lazy<T>(load: () => T): () => T {
  let loaded = false;
  let value: T;
  return () => {
    if (!loaded) {
      value = load();
      loaded = true;
    }
    return value;
  };
}

/* eslint-disable @typescript-eslint/no-require-imports */
export const childProcess = lazy(() => require('node:child_process') as typeof import('node:child_process'));
export const nodeCrypto = lazy(() => require('node:crypto') as typeof import('node:crypto'));
export const nodeStream = lazy(() => require('node:stream') as typeof import('node:stream'));
export const streamPromises = lazy(() => require('node:stream/promises') as typeof import('node:stream/promises'));
export const properLockfile = lazy(() => require('proper-lockfile') as typeof import('proper-lockfile'));
/* eslint-enable @typescript-eslint/no-require-imports */
