// A user without /etc/subuid entries: skiff falls back to a single-id mapping with one warning.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, chownSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv } from '../lib/env';
import { skiffBinary } from '../lib/skiff';

const env = loadEnv();

function asNoSubid(user: string, home: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim();
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim();
  return spawnSync('setpriv', ['--reuid', uid, '--regid', gid, '--init-groups', 'env', '-i', `HOME=${home}`, `USER=${user}`,
    'PATH=/usr/bin:/bin:/usr/sbin:/sbin', `XDG_RUNTIME_DIR=${home}/run`, skiffBinary(), ...args], { encoding: 'utf8', cwd: '/', timeout: 60_000 });
}

test('single-id mapping: root-owned images pull and run, other owners fail clearly', () => {
  if (!env.noSubidUser) return; // made only when the suite runs as root
  const user = env.noSubidUser;
  const home = mkdtempSync(join(env.tmpDir, 'skiff-nosubid-'));
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  chownSync(home, uid, uid);
  try {
    const pull = asNoSubid(user, home, ['pull', '-q', env.images.busybox]);
    assert.is(pull.status, 0, pull.stderr);
    assert.match(pull.stderr, new RegExp(`^WARNING: no subuid range for "${user}" in /etc/subuid: only your own uid and gid are mapped`));
    assert.is(pull.stderr.trim().split('\n').length, 1, 'one warning');
    const run = asNoSubid(user, home, ['run', '--rm', env.images.busybox, 'id', '-u']);
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout, '0\n');
    const layers = asNoSubid(user, home, ['pull', env.images.layers]);
    assert.is(layers.status, 1);
    assert.match(layers.stderr, /failed to unpack layer sha256:[0-9a-f]{64}: unpack entry "data\/owned\/[^"]+": chown to 1000:1000: EINVAL/);
  } finally {
    // The user-namespace pause process skiff started in this runtime dir goes with it.
    try {
      process.kill(Number(readFileSync(join(home, 'run', 'skiff', 'pause.pid'), 'utf8').split(/\s+/)[0]), 'SIGKILL');
    } catch {
      // never started, or gone
    }
    spawnSync('setpriv', ['--reuid', String(uid), '--regid', String(uid), '--clear-groups', 'sh', '-c', `chmod -R u+rwX ${home} 2>/dev/null; true`]);
    rmSync(home, { recursive: true, force: true });
  }
});

test.run();
