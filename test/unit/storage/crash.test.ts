// Writers killed with SIGKILL at random points, hundreds of times: no record is ever half-written or lost,
// and the locks they leave behind never wedge the next command.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { withLock } from '../../../src/storage/lock';
import { openRecords, recordsDir } from '../../../src/storage/records';

const storage = resolve(__dirname, '../../../src/storage');

const writersPerRound = 2;
const minimumKills = 200;
const budgetMs = 90_000;
const lifeMs = 80;

const isAcknowledgement = (event: Event) => event.op !== 'ready' && !event.op.startsWith('begin');

/** The payload a record with this id and seq must carry: 64 B to 19 KB, so writes are not trivially small. */
function payload(id: string, seq: number): string {
  const hash = createHash('sha256').update(`${id}:${seq}`).digest('hex');
  return hash.repeat(1 + (parseInt(hash.slice(0, 4), 16) % 300));
}

// A writer: creates, updates, renames and removes records forever, and appends to its log a line before
// each rename/remove ("begin") and after each acknowledged change. The log is written with a plain
// write(2) to an append-only file, which a SIGKILL cannot undo: what is logged was acknowledged.
const writerScript = `
const fs = require('fs');
const { createHash } = require('crypto');
const { openRecords } = require(${JSON.stringify(join(storage, 'records.js'))});
const { newId } = require(${JSON.stringify(join(storage, 'ids.js'))});
const [dir, logPath] = process.argv.slice(2);
const store = openRecords(dir, 'container');
const logFd = fs.openSync(logPath, 'a');
const log = (event) => fs.writeSync(logFd, JSON.stringify({ ...event, at: Date.now() }) + '\\n');
// The same function as payload() in the test.
function payload(id, seq) {
  const hash = createHash('sha256').update(id + ':' + seq).digest('hex');
  return hash.repeat(1 + (parseInt(hash.slice(0, 4), 16) % 300));
}
const pick = (list) => list[Math.floor(Math.random() * list.length)];
const randomName = () => 'n' + Math.floor(Math.random() * 60);
const expected = /^(Conflict\\. |No such container: |Renaming a container with the same name)/;
async function main() {
  let known = (await store.list()).map((record) => record.id);
  log({ op: 'ready' });
  process.stdout.write('ready\\n');
  for (;;) {
    const dice = Math.random();
    try {
      if (known.length === 0 || (dice < 0.3 && known.length < 30)) {
        const id = newId();
        const name = randomName();
        log({ op: 'begin-create', id, name });
        await store.create({ id, name, seq: 1, payload: payload(id, 1) });
        known.push(id);
        log({ op: 'created', id, name, seq: 1 });
      } else if (dice < 0.75) {
        const id = pick(known);
        const record = await store.update(id, (c) => ({ ...c, seq: c.seq + 1, payload: payload(id, c.seq + 1) }));
        log({ op: 'updated', id, seq: record.seq });
      } else if (dice < 0.9) {
        const id = pick(known);
        const name = randomName();
        log({ op: 'begin-rename', id, name });
        await store.rename(id, name);
        log({ op: 'renamed', id, name });
      } else {
        const id = pick(known);
        known = known.filter((other) => other !== id);
        log({ op: 'begin-remove', id });
        await store.remove(id);
        log({ op: 'removed', id });
      }
    } catch (err) {
      if (!expected.test(String(err && err.message))) throw err;
      if (String(err.message).startsWith('No such container')) known = (await store.list()).map((record) => record.id);
    }
  }
}
main().catch((err) => { process.stderr.write(String(err && err.stack) + '\\n'); process.exit(3); });
`;

interface Event {
  op: 'ready' | 'begin-create' | 'created' | 'updated' | 'begin-rename' | 'renamed' | 'begin-remove' | 'removed';
  id: string;
  name?: string;
  seq?: number;
  at: number;
}

interface Expectation {
  /** Lowest seq the record may have: the last acknowledged or observed one. */
  seq: number;
  /** Names the record may have now. */
  names: Set<string>;
  /** True when it may be absent (removal begun), or must be (removal acknowledged). */
  mayBeGone: boolean;
  mustBeGone: boolean;
  /** False until its creation was acknowledged or it was seen on disk. */
  mustExist: boolean;
}

let work = '';
test.before(() => { work = mkdtempSync(join(tmpdir(), 'skiff-crash-')); });
test.after(() => { rmSync(work, { recursive: true, force: true }); });

function startWriter(script: string, dir: string, logPath: string): { child: ChildProcess; ready: Promise<void>; exited: Promise<[number | null, string | null]> } {
  const child = spawn(process.execPath, [script, dir, logPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ready = new Promise<void>((done, fail) => {
    child.stdout!.once('data', () => done());
    child.once('exit', (code) => fail(new Error(`writer exited with ${code} before it was ready`)));
  });
  const exited = new Promise<[number | null, string | null]>((done) => child.once('exit', (code, signal) => done([code, signal])));
  return { child, ready, exited };
}

function readLog(path: string): Event[] {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  // A line is written by one write(2), so it is complete; ignore a torn last line all the same.
  return text.split('\n').filter((line) => line.endsWith('}')).map((line) => JSON.parse(line) as Event);
}

/** Folds one round's logs into the expectations. Within a log the order is known; between the logs of
 * one round it is not, so a name another writer touched in the same round stays open. */
function applyRound(model: Map<string, Expectation>, logs: Event[][]) {
  const entry = (id: string) => {
    let found = model.get(id);
    if (!found) {
      found = { seq: 0, names: new Set(), mayBeGone: false, mustBeGone: false, mustExist: false };
      model.set(id, found);
    }
    return found;
  };
  const nameTouchers = new Map<string, number>();
  logs.forEach((events, writer) => {
    for (const event of events) {
      if (event.op === 'begin-create' || event.op.endsWith('rename')) {
        nameTouchers.set(event.id, (nameTouchers.get(event.id) ?? 0) | (1 << writer));
      }
    }
  });
  for (const events of logs) {
    for (const event of events) {
      if (event.op === 'ready') continue;
      const record = entry(event.id);
      const shared = (nameTouchers.get(event.id) ?? 0) & ((nameTouchers.get(event.id) ?? 0) - 1);
      switch (event.op) {
        case 'begin-create':
          record.names.add(event.name!);
          break;
        case 'created':
          record.mustExist = true;
          record.seq = Math.max(record.seq, 1);
          if (!shared) record.names = new Set([event.name!]);
          break;
        case 'updated':
          record.mustExist = true;
          record.seq = Math.max(record.seq, event.seq!);
          break;
        case 'begin-rename':
          record.names.add(event.name!);
          break;
        case 'renamed':
          if (!shared) record.names = new Set([event.name!]);
          break;
        case 'begin-remove':
          record.mayBeGone = true;
          break;
        case 'removed':
          record.mustBeGone = true;
          break;
      }
    }
  }
}

/** Checks the store against the expectations, then makes what was seen the new baseline. */
async function verify(dir: string, model: Map<string, Expectation>, round: number) {
  const entries = readdirSync(dir);
  const files = entries.filter((name) => /^[0-9a-f]{64}\.json$/.test(name));
  for (const name of entries) {
    if (files.includes(name)) continue;
    const kind = statSync(join(dir, name)).isDirectory() ? 'dir' : 'file';
    const allowed = (name.startsWith('.') && name.endsWith('.tmp')) || (kind === 'dir' && (name.endsWith('.lock') || name === '.by-name'));
    assert.ok(allowed, `round ${round}: unexpected ${kind} ${name}`);
  }
  const seen = new Map<string, { id: string; name: string; seq: number; payload: string }>();
  for (const file of files) {
    const text = readFileSync(join(dir, file), 'utf8');
    let record;
    try {
      record = JSON.parse(text);
    } catch {
      assert.unreachable(`round ${round}: ${file} is half-written (${text.length} bytes)`);
    }
    assert.is(`${record.id}.json`, file, `round ${round}: id inside ${file}`);
    assert.ok(record.seq >= 1 && record.payload === payload(record.id, record.seq), `round ${round}: ${file} content does not match its seq`);
    seen.set(record.id, record);
  }
  const listed = await openRecords(dir, 'container').list();
  assert.is(listed.length, files.length, `round ${round}: list() sees something other than the record files`);
  const names = [...seen.values()].map((record) => record.name);
  assert.is(new Set(names).size, names.length, `round ${round}: a name is used twice: ${names.sort().join(' ')}`);

  for (const [id, expected] of model) {
    const record = seen.get(id);
    if (expected.mustBeGone) {
      assert.not.ok(record, `round ${round}: ${id} came back after its removal was acknowledged`);
      continue;
    }
    if (!record) {
      assert.ok(!expected.mustExist || expected.mayBeGone, `round ${round}: acknowledged record ${id} is lost`);
      model.delete(id);
      continue;
    }
    assert.ok(record.seq >= expected.seq, `round ${round}: ${id} went back from seq ${expected.seq} to ${record.seq}`);
    assert.ok(expected.names.has(record.name), `round ${round}: ${id} is named ${record.name}, expected one of ${[...expected.names].join(' ')}`);
  }
  // What is on disk now is known exactly: the next round starts from it.
  for (const [id, record] of seen) {
    model.set(id, { seq: record.seq, names: new Set([record.name]), mayBeGone: false, mustBeGone: false, mustExist: true });
  }
}

test(`writers killed with SIGKILL at random points (${minimumKills}+ kills) never leave a half-written or lost record`, async () => {
  const dir = recordsDir(work, 'container');
  const script = join(work, 'writer.js');
  writeFileSync(script, writerScript);
  const model = new Map<string, Expectation>();
  const started = Date.now();
  let kills = 0;
  let round = 0;
  let acknowledged = 0;
  let slowestFirstMs = 0;
  let idleLives = 0;
  let takenOver = 0;
  let slowestTakeOverMs = 0;
  while (kills < minimumKills) {
    assert.ok(Date.now() - started < budgetMs, `only ${kills} kills in ${budgetMs} ms`);
    round++;
    const logs = Array.from({ length: writersPerRound }, (_, i) => join(work, `log-${round}-${i}`));
    const writers = logs.map((log) => startWriter(script, dir, log));
    try {
      await Promise.all(writers.map((writer) => writer.ready));
      // Each writer dies at its own random moment, 0–lifeMs into its work: inside a lock, a write, a
      // fsync, a rename, a release, or between them.
      await Promise.all(writers.map(async (writer) => {
        await new Promise((done) => setTimeout(done, Math.random() * lifeMs));
        writer.child.kill('SIGKILL');
      }));
    } finally {
      // Whatever failed above, no writer may outlive the round.
      for (const writer of writers) writer.child.kill('SIGKILL');
    }
    for (const writer of writers) {
      const [code, signal] = await writer.exited;
      assert.is(signal, 'SIGKILL', `a writer stopped by itself with exit code ${code} (see its stderr)`);
      kills++;
    }
    const events = logs.map(readLog);
    events.forEach((writerEvents, i) => {
      const ready = writerEvents.find((event) => event.op === 'ready');
      const first = writerEvents.find((event) => isAcknowledgement(event));
      if (first && ready) slowestFirstMs = Math.max(slowestFirstMs, first.at - ready.at);
      if (!first) idleLives++;
    });
    acknowledged += events.flat().filter(isAcknowledgement).length;
    applyRound(model, events);
    await verify(dir, model, round);
    // Every lock the writers died holding is taken over at once, not after the 10 s stale time.
    for (const name of readdirSync(dir).filter((entry) => entry.endsWith('.lock'))) {
      const lockStarted = Date.now();
      await withLock(join(dir, name.slice(0, -'.lock'.length)), () => undefined, { timeoutMs: 2000 });
      slowestTakeOverMs = Math.max(slowestTakeOverMs, Date.now() - lockStarted);
      takenOver++;
    }
  }
  assert.ok(acknowledged > kills, `only ${acknowledged} acknowledged changes in ${kills} kills`);

  // Afterwards the store works at once, whatever locks the last writers died holding.
  const store = openRecords<{ id: string; name: string; seq: number; payload: string }>(dir, 'container', { lock: { timeoutMs: 2000 } });
  const lockStarted = Date.now();
  const all = await store.list();
  for (const record of all) await store.update(record.id, (c) => ({ ...c, seq: c.seq + 1, payload: payload(c.id, c.seq + 1) }));
  if (all.length) await store.rename(all[0].id, 'after-the-crashes');
  const leftovers = readdirSync(dir).filter((name) => name.endsWith('.tmp')).length;
  console.log(
    `    ${kills} kills in ${round} rounds, ${acknowledged} acknowledged changes, ${all.length} records at the end, ` +
      `${leftovers} temp leftovers, ${Date.now() - started} ms; ${takenOver} locks left by dead writers taken over, ` +
      `slowest ${slowestTakeOverMs} ms; ${idleLives} writers died before their first change, the slowest first change ` +
      `came ${slowestFirstMs} ms after start; updating all records afterwards took ${Date.now() - lockStarted} ms`,
  );
});

test.run();
