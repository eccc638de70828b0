// Several processes on one store at once: one winner per name, no lost updates, renames that lose nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { newId } from '../../../src/storage/ids';
import { openRecords, recordsDir } from '../../../src/storage/records';

const storage = resolve(__dirname, '../../../src/storage');

// One script, three jobs. Each child says "ready", waits for "go" on stdin so that all start together,
// prints one line per outcome, and exits 0; any unexpected error exits 3 with the stack on stderr.
const childScript = `
const { openRecords } = require(${JSON.stringify(join(storage, 'records.js'))});
const { newId } = require(${JSON.stringify(join(storage, 'ids.js'))});
const [job, dir, arg] = process.argv.slice(2);
const store = openRecords(dir, 'container');
const out = (line) => process.stdout.write(line + '\\n');
async function main() {
  if (job === 'create') {
    // Race for names web-0 … web-(arg-1): every child tries every name.
    for (let i = 0; i < Number(arg); i++) {
      const id = newId();
      try {
        await store.create({ id, name: 'web-' + i, count: 0 });
        out('won web-' + i + ' ' + id);
      } catch (err) {
        if (!String(err.message).startsWith('Conflict. The container name "/web-' + i + '"')) throw err;
        out('lost web-' + i);
      }
    }
  } else if (job === 'update') {
    // arg increments of the one record, found by name or prefix (either may be mid-rename: retry then).
    for (let done = 0; done < Number(arg);) {
      const all = await store.list();
      const ref = done % 2 ? all[0].id.slice(0, 8) : all[0].name;
      try {
        await store.update(ref, (c) => { c.count += 1; });
        done++;
      } catch (err) {
        if (!String(err.message).startsWith('No such container')) throw err;
      }
    }
    out('done');
  } else if (job === 'rename') {
    for (let i = 0; i < Number(arg); i++) await store.rename(i % 2 ? 'b' : 'a', i % 2 ? 'a' : 'b');
    out('done');
  }
}
process.stdin.once('data', () => main().then(() => process.exit(0), (err) => {
  process.stderr.write(String(err && err.stack) + '\\n');
  process.exit(3);
}));
out('ready');
`;

let work = '';
let script = '';
test.before.each(() => {
  work = mkdtempSync(join(tmpdir(), 'skiff-concurrency-'));
  script = join(work, 'child.js');
  writeFileSync(script, childScript);
});
test.after.each(() => { rmSync(work, { recursive: true, force: true }); });

interface Finished {
  code: number | null;
  lines: string[];
}

/** Starts the children, waits until all are ready, lets them go at once, and collects their output. */
async function race(jobs: string[][]): Promise<Finished[]> {
  const children: ChildProcess[] = [];
  const outputs: Promise<Finished>[] = [];
  const ready: Promise<void>[] = [];
  for (const args of jobs) {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    let text = '';
    ready.push(new Promise((done) => {
      child.stdout!.on('data', (chunk) => {
        text += chunk;
        if (text.startsWith('ready\n')) done();
      });
    }));
    outputs.push(new Promise((done) => child.once('exit', (code) => done({ code, lines: text.split('\n').slice(1, -1) }))));
  }
  await Promise.all(ready);
  for (const child of children) child.stdin!.end('go\n');
  return Promise.all(outputs);
}

test('processes racing to create the same names: exactly one wins each name', async () => {
  const dir = recordsDir(work, 'container');
  const names = 15;
  const started = Date.now();
  const results = await race(Array.from({ length: 4 }, () => ['create', dir, String(names)]));
  for (const result of results) assert.is(result.code, 0);
  const records = await openRecords<{ id: string; name: string }>(dir, 'container').list();
  assert.is(records.length, names);
  for (let i = 0; i < names; i++) {
    const winners = results.flatMap((r) => r.lines).filter((line) => line.startsWith(`won web-${i} `));
    assert.is(winners.length, 1, `web-${i} won by ${winners.length}`);
    const losers = results.flatMap((r) => r.lines).filter((line) => line === `lost web-${i}`);
    assert.is(losers.length, 3);
    const stored = records.filter((record) => record.name === `web-${i}`);
    assert.is(stored.length, 1);
    assert.is(stored[0].id, winners[0].split(' ')[2]);
  }
  console.log(`    4 processes × ${names} names: ${Date.now() - started} ms`);
});

test('processes incrementing one counter while another renames it: no update is lost', async () => {
  const dir = recordsDir(work, 'container');
  const store = openRecords<{ id: string; name: string; count: number }>(dir, 'container');
  const id = newId();
  await store.create({ id, name: 'a', count: 0 });
  const perChild = 40;
  const started = Date.now();
  const results = await race([
    ['update', dir, String(perChild)],
    ['update', dir, String(perChild)],
    ['update', dir, String(perChild)],
    ['update', dir, String(perChild)],
    ['rename', dir, '20'],
  ]);
  for (const result of results) assert.is(result.code, 0);
  const record = await store.get(id);
  assert.is(record.count, 4 * perChild);
  assert.is(record.name, 'a'); // An even number of renames.
  console.log(`    4 processes × ${perChild} updates + 20 renames: ${Date.now() - started} ms`);
});

test.run();
