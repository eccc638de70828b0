// The record store: one JSON file per container, image, network or volume, with Docker's id/name lookup.
//
// Layout: records of one kind live alone in one directory, `<data>/records/<kind>s/` (recordsDir):
//   <id>.json         the record, replaced atomically (atomic.ts)
//   <id>.json.lock/   held while one record is read-modified-written (lock.ts)
//   .names.lock/      held while names change: create, rename, and dropping a removed record's name
//   .by-name/n=<name> the name index: the id of the record with that name (one small file per name);
//                     .by-name/.complete marks an index that covers every record (stores made before
//                     the index get it built on their first create or rename)
//   .*.tmp            what a killed writer left behind; swept by create after an hour
// Per-object directories (a container's bundle and logs, a volume's data) belong elsewhere, e.g.
// `<data>/containers/<id>/`, so that removing or listing one never touches the other.
//
// Reads take no lock: every write is an atomic rename, so a reader sees a whole old or whole new record,
// and `ps -a` over 500 containers is 500 small reads. Looking up or checking one name reads one index
// entry and one record, however many records there are. An entry is written before its record and
// removed after it, so a record with a name always has its entry; an entry whose record is gone, or
// now has another name (a crash half-way), is stale, and a stale entry is a free name.
// Writers lock as little as correctness needs:
// - update and remove lock only their record (a read-modify-write under the lock loses no update);
// - create and rename also hold the store's names lock, so that checking a name is free and taking it
//   are one step, even against another process doing the same. Lock order is names, then record.
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ExitCode, SkiffError } from '../errors';
import { readJson, removeFileDurably, removeStaleTemps, writeFileAtomic, writeJsonAtomic } from './atomic';
import { isId, isIdPrefix, shortId, stripAlgorithm } from './ids';
import { type LockOptions, withLock } from './lock';
import { sha256Hex } from '../util/random';

export type RecordKind = 'container' | 'image' | 'network' | 'volume';

/** What every record has: a full id (64 hex) and, for kinds that have one, a unique name. */
export interface StoredRecord {
  id: string;
  name?: string;
}

export interface RecordStore<T extends StoredRecord> {
  readonly dir: string;
  readonly kind: RecordKind;
  /** Stores a new record. Its id must be a full id (newId()); its name, when given, must be free. */
  create(record: T): Promise<T>;
  /** Docker's lookup: exact id, then exact name, then unique id prefix. Missing → "No such …" error. */
  get(ref: string): Promise<T>;
  /** As get, but undefined when nothing matches; an ambiguous prefix is still an error. */
  find(ref: string): Promise<T | undefined>;
  /** Read-modify-write under the record's lock: `change` gets the current record and returns the new one
   * (or mutates it and returns nothing). It must not change id or name; use rename for names. */
  update(ref: string, change: (current: T) => T | void | Promise<T | void>): Promise<T>;
  /** Gives the record a new, free name. */
  rename(ref: string, name: string): Promise<T>;
  /** Deletes the record and returns it. `guard` runs under the lock on the current record and throws to refuse
   * (e.g. "cannot remove a running container"), so the check and the removal cannot be split by another command. */
  remove(ref: string, guard?: (current: T) => void | Promise<void>): Promise<T>;
  /** Every record, in no particular order. */
  list(): Promise<T[]>;
}

export interface RecordStoreOptions {
  lock?: LockOptions;
}

/** A name is taken, by another record of the same kind. */
export class RecordConflictError extends SkiffError {
  constructor(message: string, exitCode: number, readonly conflictName: string, readonly holderId: string) {
    super(message, exitCode);
  }
}

/** Where records of `kind` live under the data directory. */
export function recordsDir(dataDir: string, kind: RecordKind): string {
  return join(dataDir, 'records', `${kind}s`);
}

const recordFile = /^[0-9a-f]{64}\.json$/;
const tempMaxAgeMs = 60 * 60 * 1000;

export function openRecords<T extends StoredRecord>(dir: string, kind: RecordKind, options: RecordStoreOptions = {}): RecordStore<T> {
  const words = wording[kind];
  const namesLock = join(dir, '.names');
  const pathOf = (id: string) => join(dir, `${id}.json`);
  const write = (record: T, lock: { check(): Promise<void> }, syncDir = true) =>
    writeJsonAtomic(pathOf(record.id), record, { mode: 0o600, beforeCommit: () => lock.check(), syncDir });
  let dirReady = false;
  const ensureDir = async (): Promise<void> => {
    if (!dirReady) mkdirSync(dir, { recursive: true, mode: 0o700 });
    dirReady = true;
  };

  // The name index (see the top of the file).
  const indexDir = join(dir, '.by-name');
  const completeMark = join(indexDir, '.complete');
  const entryPath = (name: string): string => {
    const encoded = encodeURIComponent(name);
    // Long names would not fit a file name: those are indexed by their hash.
    return join(indexDir, encoded.length <= 200 ? `n=${encoded}` : `h=${sha256Hex(name)}`);
  };
  const indexComplete = (): boolean => existsSync(completeMark);
  const writeEntry = (name: string, id: string, beforeCommit?: () => Promise<void>): Promise<void> =>
    writeFileAtomic(entryPath(name), `${id}\n`, { mode: 0o600, beforeCommit });
  const readEntry = (name: string): string | undefined => {
    try {
      const id = readFileSync(entryPath(name), 'utf8').trim();
      return isId(id) ? id : undefined;
    } catch {
      return undefined;
    }
  };
  /** The record that holds `name` now, by the index; undefined for a free name. Needs a complete index. */
  async function holderByIndex(name: string): Promise<T | undefined> {
    const id = readEntry(name);
    const record = id ? await read(id) : undefined;
    return record?.name === name ? record : undefined;
  }
  /** Under the names lock: the index, built from the records when the store predates it. */
  async function ensureIndex(): Promise<void> {
    if (indexComplete()) return;
    mkdirSync(indexDir, { recursive: true, mode: 0o700 });
    for (const record of await list()) {
      if (record.name !== undefined) await writeEntry(record.name, record.id);
    }
    await writeFileAtomic(completeMark, '', { mode: 0o600 });
  }
  /** The record holding `name`: by the index once it is complete, by a scan in a store from before it. */
  async function holderOf(name: string): Promise<T | undefined> {
    if (indexComplete()) return holderByIndex(name);
    return (await list()).find((other) => other.name === name);
  }
  /** Under the names lock: drops `name`'s entry if it still points at `id`. */
  function dropEntry(name: string, id: string): void {
    if (readEntry(name) !== id) return;
    try {
      unlinkSync(entryPath(name));
    } catch {
      // already gone
    }
  }

  const read = (id: string) => readJson<T>(pathOf(id));

  async function ids(): Promise<string[]> {
    try {
      // Synchronous, as the reads of the records (readJson): a short-lived command has nothing else to
      // do meanwhile, and each thread-pool round trip costs more than the call.
      return readdirSync(dir).filter((name) => recordFile.test(name)).map((name) => name.slice(0, -5));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async function list(): Promise<T[]> {
    const records: T[] = [];
    for (const id of await ids()) {
      const record = await read(id);
      if (record) records.push(record); // Undefined: removed since readdir, which is not an error.
    }
    return records;
  }

  function normalize(ref: string): string {
    if (kind === 'container' && ref.startsWith('/')) return ref.slice(1); // `docker inspect /web` works too.
    if (kind === 'image' && ref.startsWith('sha256:')) return stripAlgorithm(ref);
    return ref;
  }

  async function find(ref: string): Promise<T | undefined> {
    const key = normalize(ref);
    if (!key) return undefined;
    if (isId(key)) {
      const exact = await read(key);
      if (exact) return exact;
    }
    const named = await holderOf(key);
    if (named) return named;
    if (!isIdPrefix(key)) return undefined;
    const matches: T[] = [];
    for (const id of (await ids()).filter((candidate) => candidate.startsWith(key))) {
      const record = await read(id);
      if (record) matches.push(record);
    }
    if (matches.length > 1) throw ambiguous(ref, matches);
    return matches[0];
  }

  async function get(ref: string): Promise<T> {
    const record = await find(ref);
    if (!record) throw notFound(ref);
    return record;
  }

  /** Runs `fn` on the current version of the record `ref` names, under that record's lock. */
  async function withRecord<R>(ref: string, fn: (current: T, lock: { check(): Promise<void> }) => Promise<R>): Promise<R> {
    const { id } = await get(ref);
    return withLock(pathOf(id), async (lock) => {
      // Read again under the lock: the lock-free lookup may have seen a version that is gone now.
      const current = await read(id);
      if (!current) throw notFound(ref);
      return fn(current, lock);
    }, options.lock);
  }

  async function create(record: T): Promise<T> {
    if (!isId(record.id)) throw new Error(`${words.kind} id "${record.id}" is not a full id`); // A bug, not a user error.
    if (record.name !== undefined) record = { ...record, name: normalize(record.name) };
    const name = record.name;
    if (name === '') throw new SkiffError(`invalid ${words.kind} name: the name is empty`, ExitCode.engine);
    await ensureDir();
    return withLock(namesLock, async (lock) => {
      await removeStaleTemps(dir, tempMaxAgeMs);
      if (await read(record.id)) throw new Error(`${words.kind} id ${record.id} already exists`);
      if (name !== undefined) {
        await ensureIndex(); // kinds without names (images) never need one
        const holder = await holderOf(name);
        if (holder) throw conflict(name, holder.id, kind === 'container' ? ExitCode.engine : ExitCode.failure);
        // The entry first: a crash before the record leaves a stale entry, which is a free name.
        await writeEntry(name, record.id, () => lock.check());
      }
      await write(record, lock);
      return record;
    }, options.lock);
  }

  async function update(ref: string, change: (current: T) => T | void | Promise<T | void>): Promise<T> {
    return withRecord(ref, async (current, lock) => {
      const { id, name } = current;
      const before = JSON.stringify(current);
      const next = (await change(current)) ?? current;
      if (next.id !== id || next.name !== name) {
        throw new Error(`update of ${words.kind} ${shortId(id)} changed its id or name; use rename`); // A bug in the caller.
      }
      // Unchanged: spare the fsyncs. Changed: the file is fsynced before its rename, the directory
      // not: an update keeps id and name, so a power loss can only bring back the previous
      // version of this one record, which is as consistent (and a container's state is
      // reconciled with what runs on every read). Creations, renames and removals stay durable.
      if (JSON.stringify(next) !== before) await write(next, lock, false);
      return next;
    });
  }

  async function rename(ref: string, newName: string): Promise<T> {
    const name = normalize(newName);
    if (!name) throw new SkiffError(`invalid ${words.kind} name: the new name is empty`, ExitCode.failure);
    return withLock(namesLock, async (names) => {
      const target = await get(ref);
      if (target.name === name) {
        throw new SkiffError(`Renaming a ${words.kind} with the same name as its current name`, ExitCode.failure);
      }
      await ensureIndex();
      const holder = await holderOf(name);
      if (holder && holder.id !== target.id) throw conflict(name, holder.id, ExitCode.failure);
      await writeEntry(name, target.id, () => names.check());
      const renamed = await withRecord(target.id, async (current, lock) => {
        const next = { ...current, name };
        await write(next, { check: async () => { await names.check(); await lock.check(); } });
        return next;
      });
      if (target.name !== undefined) dropEntry(target.name, target.id);
      return renamed;
    }, options.lock);
  }

  async function remove(ref: string, guard?: (current: T) => void | Promise<void>): Promise<T> {
    const removed = await withRecord(ref, async (current, lock) => {
      await guard?.(current);
      await lock.check();
      await removeFileDurably(pathOf(current.id));
      return current;
    });
    // Then its name entry, under the names lock (taken after the record's is released: the lock
    // order is names, then record). Left behind by a crash, the entry is stale: a free name.
    if (removed.name !== undefined && indexComplete()) {
      const name = removed.name;
      await withLock(namesLock, async () => dropEntry(name, removed.id), options.lock).catch(() => undefined);
    }
    return removed;
  }

  function notFound(ref: string): SkiffError {
    return new SkiffError(words.notFound(ref), ExitCode.failure);
  }

  function ambiguous(ref: string, matches: T[]): SkiffError {
    const shown = matches.slice(0, 5).map((record) => shortId(record.id)).join(', ');
    const more = matches.length > 5 ? ` and ${matches.length - 5} more` : '';
    return new SkiffError(
      `multiple IDs found with provided prefix: ${ref} (${words.kind}s ${shown}${more}); ` +
        `give more characters of the ID, or the ${words.kind} name`,
      ExitCode.failure,
    );
  }

  function conflict(name: string, holderId: string, exitCode: number): RecordConflictError {
    return new RecordConflictError(words.conflict(name, holderId), exitCode, name, holderId);
  }

  return { dir, kind, create, get, find, update, rename, remove, list };
}

interface Wording {
  kind: string;
  notFound(ref: string): string;
  conflict(name: string, holderId: string): string;
}

/** Docker's own sentences, so that what users and scripts search for still matches. */
const wording: Record<RecordKind, Wording> = {
  container: {
    kind: 'container',
    notFound: (ref) => `No such container: ${ref}`,
    conflict: (name, id) =>
      `Conflict. The container name "/${name}" is already in use by container "${id}". ` +
      'You have to remove (or rename) that container to be able to reuse that name.',
  },
  image: {
    kind: 'image',
    notFound: (ref) => `No such image: ${ref}`,
    conflict: (name, id) =>
      `Conflict. The image name "${name}" is already in use by image "${id}". ` +
      'You have to remove (or rename) that image to be able to reuse that name.',
  },
  network: {
    kind: 'network',
    notFound: (ref) => `network ${ref} not found`,
    conflict: (name, id) => `network with name ${name} already exists (network ${shortId(id)}); remove it first, or choose another name`,
  },
  volume: {
    kind: 'volume',
    notFound: (ref) => `No such volume: ${ref}`,
    conflict: (name, id) =>
      `Conflict. The volume name "${name}" is already in use by volume "${id}". ` +
      'You have to remove that volume to be able to reuse that name.',
  },
};
