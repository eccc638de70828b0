// Small helpers the container tests share: sleeping, polling, and reading one inspect field.
import * as assert from 'uvu/assert';
import type { Session } from './skiff';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls fn every 100 ms until it is true; fails the test after timeoutMs. */
export async function until(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `skiff inspect --format FORMAT NAME`, which must succeed; its output trimmed. */
export async function inspect(session: Session, name: string, format: string): Promise<string> {
  const r = await session.skiff(['inspect', '--format', format, name]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim();
}
