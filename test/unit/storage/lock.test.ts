// The lock: mutual exclusion, take-over from dead holders, the stale-time fallback, timeouts, lost locks.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SkiffError } from '../../../src/errors';
import { lockDirFor, withLock } from '../../../src/storage/lock';

const storage = resolve(__dirname, '../../../src/storage');
let dir = '';
test.before.each(() => { dir = mkdtempSync(join(tmpdir(), 'skiff-lock-')); });
test.after.each(() => { rmSync(dir, { recursive: true, force: true }); });

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** A separate node process that takes the lock on `path`, says "locked", and holds it until killed. */
async function holder(path: string): Promise<ChildProcess> {
  const script = `require(${JSON.stringify(join(storage, 'lock.js'))}).withLock(${JSON.stringify(path)}, () => {
    process.stdout.write('locked\\n');
    return new Promise(() => setInterval(() => {}, 1000));
  });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((done, fail) => {
    child.stdout!.once('data', () => done());
    child.once('exit', (code) => fail(new Error(`lock holder exited with ${code}`)));
  });
  return child;
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.once('exit', () => done());
    child.kill('SIGKILL');
  });
}

/** The owner record a process with these facts would write. */
function ownerRecord(changes: Record<string, unknown>): string {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return JSON.stringify({
    pid: process.pid,
    start: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]),
    boot: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    pidns: readlinkSync('/proc/self/ns/pid'),
    token: 'x',
    ...changes,
  });
}

test('one holder at a time within a process; results and errors pass through; parent dir is made', async () => {
  const path = join(dir, 'sub', 'thing');
  let inside = 0;
  let most = 0;
  const order: number[] = [];
  await Promise.all(Array.from({ length: 8 }, (_, i) => withLock(path, async () => {
    inside++;
    most = Math.max(most, inside);
    await sleep(3);
    order.push(i);
    inside--;
  })));
  assert.is(most, 1);
  assert.is(order.length, 8);
  assert.is(await withLock(path, () => 42), 42);
  try {
    await withLock(path, () => { throw new Error('boom'); });
    assert.unreachable('should have thrown');
  } catch (err) {
    assert.is((err as Error).message, 'boom');
  }
  assert.not.ok(existsSync(lockDirFor(path))); // Released after the error too.
});

test('the lock directory carries its owner while held', async () => {
  const path = join(dir, 'thing');
  await withLock(path, async (lock) => {
    const owner = JSON.parse(readFileSync(join(lockDirFor(path), 'owner'), 'utf8'));
    assert.is(owner.pid, process.pid);
    assert.is(lock.path, path);
    await lock.check();
  });
});

test('a live holder in another process makes us wait; the timeout names it and the way out', async () => {
  const path = join(dir, 'thing');
  const child = await holder(path);
  try {
    const started = Date.now();
    await withLock(path, () => undefined, { timeoutMs: 300 });
    assert.unreachable(`took the lock from a live holder after ${Date.now() - started} ms`);
  } catch (err) {
    assert.instance(err, SkiffError);
    assert.match((err as Error).message, `held by process ${child.pid}`);
    assert.match((err as Error).message, `remove ${lockDirFor(path)}`);
  } finally {
    await killed(child);
  }
});

test('a holder killed with SIGKILL does not wedge the next locker (zombie or reaped)', async () => {
  const path = join(dir, 'thing');
  for (const reap of [false, true]) {
    const child = await holder(path);
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    if (reap) await exited;
    const started = Date.now();
    await withLock(path, () => undefined, { timeoutMs: 3000 });
    const waited = Date.now() - started;
    assert.ok(waited < 1000, `waited ${waited} ms for a dead holder's lock`);
    await exited;
  }
});

test('owner records: a reused pid is dead, another pid namespace is left to the stale time', async () => {
  const path = join(dir, 'thing');
  const lockDir = lockDirFor(path);
  mkdirSync(lockDir);
  writeFileSync(join(lockDir, 'owner'), ownerRecord({ start: 1 })); // Our pid, but not our start time.
  await withLock(path, () => undefined, { timeoutMs: 1000 });
  mkdirSync(lockDir);
  writeFileSync(join(lockDir, 'owner'), ownerRecord({ pid: 999_999_999, pidns: 'pid:[1]' }));
  try {
    await withLock(path, () => undefined, { timeoutMs: 300 });
    assert.unreachable('judged a holder in another pid namespace');
  } catch (err) {
    assert.match((err as Error).message, 'timed out');
  }
});

test('a lock nobody can judge is taken over once older than the stale time', async () => {
  const path = join(dir, 'thing');
  const lockDir = lockDirFor(path);
  mkdirSync(lockDir);
  writeFileSync(join(lockDir, 'something-else'), '');
  try {
    await withLock(path, () => undefined, { timeoutMs: 300 });
    assert.unreachable('took a fresh lock');
  } catch (err) {
    assert.match((err as Error).message, 'held by another process');
  }
  const old = new Date(Date.now() - 11_000);
  utimesSync(lockDir, old, old);
  await withLock(path, () => undefined, { timeoutMs: 1000 });
});

test('check() fails once the lock was taken over', async () => {
  const path = join(dir, 'thing');
  const lockDir = lockDirFor(path);
  await withLock(path, async (lock) => {
    await lock.check();
    renameSync(lockDir, `${lockDir}.moved`);
    mkdirSync(lockDir);
    writeFileSync(join(lockDir, 'owner'), ownerRecord({ token: 'someone else' }));
    try {
      await lock.check();
      assert.unreachable('check passed without the lock');
    } catch (err) {
      assert.match((err as Error).message, 'lost the lock');
    }
  });
  // Releasing must not remove the other holder's lock.
  assert.ok(existsSync(join(lockDir, 'owner')));
});

test.run();
