// runSync: Node's spawn_sync binding called directly, and node:child_process when it cannot be.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runSync, runSyncWith, type SpawnSyncBinding } from '../../../src/runtime/spawn-sync';

// The binding itself, as runSync finds it; null runs the same through node:child_process.
const binding = (process as unknown as { binding(name: string): SpawnSyncBinding }).binding('spawn_sync');
const ways: [string, SpawnSyncBinding | null][] = [['binding', binding], ['child_process', null]];

for (const [way, b] of ways) {
  test(`${way}: output, exit status and environment`, () => {
    const r = runSyncWith(b, '/bin/sh', ['-c', 'echo out; echo err >&2; echo "$SKIFF_T"; exit 3'], { env: { SKIFF_T: 'from-env', PATH: '/usr/bin:/bin' } });
    assert.is(r.error, undefined);
    assert.is(r.status, 3);
    assert.is(r.signal, null);
    assert.is(r.stdout, 'out\nfrom-env\n');
    assert.is(r.stderr, 'err\n');
  });

  test(`${way}: stdin is empty, a signal is reported`, () => {
    const r = runSyncWith(b, '/bin/sh', ['-c', 'cat; kill -TERM $$']);
    assert.is(r.stdout, '');
    assert.is(r.status, null);
    assert.is(r.signal, 'SIGTERM');
  });

  test(`${way}: a program that cannot be run is an error, not a status`, () => {
    const r = runSyncWith(b, '/nonexistent/program', []);
    assert.ok(r.error);
    assert.is((r.error as NodeJS.ErrnoException).code, 'ENOENT');
  });

  test(`${way}: detached runs in a session of its own`, () => {
    const own = runSyncWith(b, '/bin/sh', ['-c', 'ps -o sid= -p $$'], { detached: true }).stdout.trim();
    const shared = runSyncWith(b, '/bin/sh', ['-c', 'ps -o sid= -p $$']).stdout.trim();
    assert.is.not(own, shared);
    assert.is(Number(shared), Number(runSyncWith(b, '/bin/sh', ['-c', 'ps -o sid= -p $PPID']).stdout.trim()));
  });
}

test('a binding that refuses the options: node:child_process runs the program, once', () => {
  let calls = 0;
  const refusing: SpawnSyncBinding = { spawn: () => { calls++; throw new TypeError('options'); } };
  const r = runSyncWith(refusing, '/bin/echo', ['fell back']);
  assert.is(calls, 1);
  assert.is(r.stdout, 'fell back\n');
});

test('a result in an unknown shape is an error, and the program is not run again', () => {
  const odd: SpawnSyncBinding = { spawn: () => ({ something: 'else' }) };
  const r = runSyncWith(odd, '/bin/echo', ['never twice']);
  assert.match(r.error?.message ?? '', /unexpected result/);
  assert.is(r.stdout, '');
});

test('runSync uses the binding and gives what child_process gives', () => {
  const a = runSync('/bin/echo', ['same']);
  const b = runSyncWith(null, '/bin/echo', ['same']);
  assert.equal(a, b);
});

test.run();
