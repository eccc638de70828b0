// skiff push against the local registries: Docker's output, identical digests (checked with skopeo), blob reuse, auth, --digestfile.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv } from '../lib/env';
import { asUser, newSession, type RunResult, type Session } from '../lib/skiff';

const E = loadEnv();
const TLS = '--tls-verify=false';
const CREDS = `--creds=${E.authUser}:${E.authPassword}`;
const namespace = `skiff-push-${randomBytes(4).toString('hex')}`;
const repo = (name: string, registry = E.registry): string => `${registry}/${namespace}/${name}`;
const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

async function ok(s: Session, args: string[], input?: string): Promise<RunResult> {
  const r = await s.skiff(args, { input });
  assert.is(r.code, 0, `skiff ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}

async function inspect(s: Session, name: string, format: string): Promise<string> {
  return (await ok(s, ['image', 'inspect', '--format', format, name])).stdout.trim();
}

/** Layer ids as Docker's push shows them: short diff IDs, top layer first. */
async function pushIds(s: Session, name: string): Promise<string[]> {
  const diffIds = JSON.parse(await inspect(s, name, '{{json .RootFS.Layers}}')) as string[];
  return diffIds.map((d) => d.slice('sha256:'.length, 'sha256:'.length + 12)).reverse();
}

/** What the registry serves for a reference, as skopeo (not skiff) reads it. */
async function remoteDigest(ref: string): Promise<string> {
  const creds = ref.startsWith(`${E.authRegistry}/`) ? [CREDS] : [];
  const r = await asUser(['skopeo', 'inspect', TLS, ...creds, '--format', '{{.Digest}}', `docker://${ref}`]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/** Checks Docker's non-TTY push output and returns the digest line's digest and size. */
function checkOutput(stdout: string, repository: string, tag: string, ids: string[], outcome: (id: string) => RegExp): { digest: string; size: number } {
  const out = lines(stdout);
  assert.is(out[0], `The push refers to repository [${repository}]`);
  assert.equal(out.slice(1, 1 + ids.length), ids.map((id) => `${id}: Preparing`));
  const results = out.slice(1 + ids.length, 1 + 2 * ids.length);
  assert.equal(results.map((l) => l.slice(0, 12)).sort(), [...ids].sort(), stdout);
  for (const line of results) assert.match(line, outcome(line.slice(0, 12)), stdout);
  const last = out[1 + 2 * ids.length];
  const m = new RegExp(`^${tag}: digest: (sha256:[0-9a-f]{64}) size: (\\d+)$`).exec(last ?? '');
  assert.ok(m, `no digest line in:\n${stdout}`);
  assert.is(out.length, 2 + 2 * ids.length, stdout);
  return { digest: m![1]!, size: Number(m![2]) };
}

const s = newSession();
const bb = repo('bb');
let bbDigest = '';

test('push sends an image to another repository unchanged: same manifest digest, --digestfile, repo digest recorded', async () => {
  await ok(s, ['pull', '-q', E.images.busybox]);
  await ok(s, ['tag', E.images.busybox, `${bb}:v1`]);
  const ids = await pushIds(s, `${bb}:v1`);
  const digestFile = join(s.dir, 'digest');
  const r = await ok(s, ['push', '--digestfile', digestFile, `${bb}:v1`]);
  assert.is(r.stderr, '');
  const { digest, size } = checkOutput(r.stdout, bb, 'v1', ids, () => /: (Pushed|Mounted from skiff-test\/busybox)$/);
  bbDigest = digest;
  assert.is(readFileSync(digestFile, 'utf8'), digest);
  assert.is(await remoteDigest(`${bb}:v1`), digest);
  assert.is(digest, await remoteDigest(E.images.busybox), 'the pushed manifest is the one pulled');
  const raw = await asUser(['skopeo', 'inspect', TLS, '--raw', `docker://${bb}:v1`]);
  assert.is(Buffer.byteLength(raw.stdout), size);
  const repoDigests = JSON.parse(await inspect(s, `${bb}:v1`, '{{json .RepoDigests}}')) as string[];
  assert.ok(repoDigests.includes(`${bb}@${digest}`), repoDigests.join(' '));
  const listed = await ok(s, ['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}', bb]);
  assert.is(listed.stdout, `${bb} v1 ${digest}\n`);
});

test('the pushed image pulls back identical in an empty session', async () => {
  const fresh = newSession();
  const r = await ok(fresh, ['pull', `${bb}:v1`]);
  assert.match(r.stdout, `Digest: ${bbDigest}\n`);
  assert.is(await inspect(fresh, `${bb}:v1`, '{{.Id}}'), await inspect(s, `${bb}:v1`, '{{.Id}}'));
  assert.equal(await inspect(fresh, `${bb}:v1`, '{{json .RootFS.Layers}}'), await inspect(s, `${bb}:v1`, '{{json .RootFS.Layers}}'));
});

test('a second push finds every layer already there', async () => {
  const ids = await pushIds(s, `${bb}:v1`);
  const r = await ok(s, ['push', `${bb}:v1`]);
  const { digest } = checkOutput(r.stdout, bb, 'v1', ids, () => /: Layer already exists$/);
  assert.is(digest, bbDigest);
});

test('layers of an image pulled from the same registry are mounted from their repository', async () => {
  await ok(s, ['pull', '-q', E.images.layers]);
  const target = repo('layers');
  await ok(s, ['tag', E.images.layers, `${target}:v1`]);
  const ids = await pushIds(s, `${target}:v1`);
  assert.is(ids.length, 4);
  const r = await ok(s, ['push', `${target}:v1`]);
  const { digest } = checkOutput(r.stdout, target, 'v1', ids, () => /: Mounted from skiff-test\/layers$/);
  assert.is(digest, await remoteDigest(E.images.layers));
  assert.is(await remoteDigest(`${target}:v1`), digest);
});

test('no tag means latest (said first); -q prints only the name', async () => {
  const target = repo('quiet');
  await ok(s, ['tag', E.images.busybox, target]);
  const r = await ok(s, ['push', target]);
  assert.ok(r.stdout.startsWith(`Using default tag: latest\nThe push refers to repository [${target}]\n`), r.stdout);
  assert.match(r.stdout, `\nlatest: digest: ${bbDigest} size: `);
  const q = await ok(s, ['push', '-q', target]);
  assert.is(q.stdout, `${target}:latest\n`);
  assert.is(q.stderr, '');
});

test('-a pushes every local tag of the repository, in order', async () => {
  const target = repo('all');
  await ok(s, ['tag', E.images.busybox, `${target}:a`]);
  await ok(s, ['tag', E.images.layers, `${target}:b`]);
  const r = await ok(s, ['push', '-a', target]);
  const out = lines(r.stdout);
  assert.is(out[0], `The push refers to repository [${target}]`);
  assert.equal(out.filter((l) => / digest: /.test(l)).map((l) => l.split(':')[0]), ['a', 'b']);
  assert.is(out.filter((l) => l.endsWith(': Preparing')).length, 1 + 4, r.stdout);
  const tags = await asUser(['skopeo', 'list-tags', TLS, `docker://${target}`]);
  assert.equal((JSON.parse(tags.stdout) as { Tags: string[] }).Tags.sort(), ['a', 'b']);
  const bad = await s.skiff(['push', '-a', `${target}:a`]);
  assert.is(bad.code, 1);
  assert.is(bad.stderr, "Error: tag can't be used with --all-tags/-a\n");
});

test("pushing a name with no local image fails with Docker's message, exit 1", async () => {
  const target = repo('nope');
  const r = await s.skiff(['push', target]);
  assert.is(r.code, 1);
  assert.is(r.stdout, `Using default tag: latest\nThe push refers to repository [${target}]\n`);
  assert.ok(r.stderr.startsWith(`Error: An image does not exist locally with the tag: ${target}`), r.stderr);
  const tagged = await s.skiff(['push', `${target}:v9`]);
  assert.is(tagged.code, 1);
  assert.ok(tagged.stderr.startsWith(`Error: An image does not exist locally with the tag: ${target}`), tagged.stderr);
});

test('the auth registry refuses a push before login and takes it after; blobs it lacks are uploaded', async () => {
  const a = newSession();
  await ok(a, ['pull', '-q', E.images.busybox]);
  const target = repo('bb', E.authRegistry);
  await ok(a, ['tag', E.images.busybox, `${target}:v1`]);
  const refused = await a.skiff(['push', `${target}:v1`]);
  assert.is(refused.code, 1, refused.stdout);
  assert.match(refused.stderr, /^Error: unauthorized: .*requires authentication.*skiff login 127\.0\.0\.1:5001/);
  await ok(a, ['login', '-u', E.authUser, '--password-stdin', E.authRegistry], E.authPassword);
  const ids = await pushIds(a, `${target}:v1`);
  const r = await ok(a, ['push', `${target}:v1`]);
  const { digest } = checkOutput(r.stdout, target, 'v1', ids, () => /: Pushed$/);
  assert.is(digest, bbDigest);
  assert.is(await remoteDigest(`${target}:v1`), digest);
});

test('a layer kept only unpacked (its chain came from another blob) is streamed from the registry it came from', async () => {
  // The zstd variant unpacks busybox's layer, so pulling `layers` reuses it and never downloads its gzip blob.
  const f = newSession();
  await ok(f, ['pull', '-q', E.images.busyboxZstd]);
  const pulled = await ok(f, ['pull', E.images.layers]);
  assert.match(pulled.stdout, ': Already exists\n');
  await ok(f, ['login', '-u', E.authUser, '--password-stdin', E.authRegistry], E.authPassword);
  const target = repo('layers', E.authRegistry);
  await ok(f, ['tag', E.images.layers, `${target}:v1`]);
  const r = await ok(f, ['push', `${target}:v1`]);
  const ids = await pushIds(f, `${target}:v1`);
  const { digest } = checkOutput(r.stdout, target, 'v1', ids, () => /: (Pushed|Layer already exists)$/);
  assert.is(digest, await remoteDigest(E.images.layers));
  assert.is(await remoteDigest(`${target}:v1`), digest);
});

test.run();
