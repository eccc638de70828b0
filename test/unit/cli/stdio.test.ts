// One-line output without creating process.stdout, and the exit check that must not create it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const stdio = join(__dirname, '..', '..', '..', 'src', 'cli', 'stdio.js');

/** Runs `body` in a fresh Node with stdio.ts loaded as `s`; stdout is a pipe. */
function child(body: string): { stdout: string; stderr: string; status: number | null } {
  const script = `const s = require(${JSON.stringify(stdio)}); ${body}`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', maxBuffer: 8 << 20 });
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

// Creating the stream over a pipe loads pipe_wrap; nothing else in these scripts does.
const streamMade = "process.moduleLoadList.includes('Internal Binding pipe_wrap')";

test('writeStdout goes straight to fd 1, and pendingOutput does not create the streams', () => {
  const r = child(`s.watchStdio(); s.writeStdout('id\\n'); const pending = s.pendingOutput();
    require('fs').writeSync(2, JSON.stringify({ pending, made: ${streamMade} }));`);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'id\n');
  assert.equal(JSON.parse(r.stderr), { pending: false, made: false });
});

test('once process.stdout exists, writeStdout writes through it, in order', () => {
  const r = child(`s.watchStdio(); process.stdout.write('a\\n'); s.writeStdout('b\\n'); process.stdout.write('c\\n');
    require('fs').writeSync(2, JSON.stringify({ made: ${streamMade} }));`);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, 'a\nb\nc\n');
  assert.equal(JSON.parse(r.stderr), { made: true });
});

test('a large write is not cut short', () => {
  const r = child(`s.watchStdio(); s.writeStdout('x'.repeat(1 << 20) + '\\n');`);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout.length, (1 << 20) + 1);
});

test.run();
