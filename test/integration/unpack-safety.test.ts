// Malicious layers: skiff pull never writes outside the layer directory.
//
// Each fixture image (skiff-test/evil:ATTACK, built by test/setup/setup.sh) is the busybox layer plus
// ONE malicious layer. Names with ".." and absolute names are confined to the layer as Docker does
// (the pull succeeds and the file lands inside the layer dir); a symlinked parent that points outside,
// hard links to outside and a directory swapped for a symlink and written through are refused with an
// error naming the layer and the entry, with nothing left behind; device nodes, which a rootless user
// cannot create, are skipped with one warning.
//
// After every pull: no /tmp/skiff-evil-* appeared, no skiff-evil-* or passwd-link file exists anywhere
// in the session (home, data, tmp) except inside the confined image's own layer dir, and /etc/passwd
// is untouched.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv } from '../lib/env';
import { newSession, type RunResult } from '../lib/skiff';

const E = loadEnv();
const S = newSession();
const layersDir = join(S.dataHome, 'skiff', 'layers');

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

/** Names an escaped write could have left behind (the files of every attack). */
const EVIL_NAME = /^(skiff-evil-|passwd-link$|evil-null$|evil-sda$)/;

interface LayerInfo {
  /** The malicious layer's blob digest, as the manifest names it. */
  digest: string;
  diffId: string;
  /** Chain ID of the whole image (the malicious layer on top of busybox): its layer dir's name. */
  chainId: string;
}

function ref(attack: string): string {
  const r = E.images.evil?.[attack];
  if (!r) throw new Error(`env.json has no images.evil["${attack}"]: re-run test/setup/setup.sh`);
  return r;
}

function sha256(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

function hex(digest: string): string {
  return digest.replace(/^sha256:/, '');
}

function chainIds(diffIds: string[]): string[] {
  const chain: string[] = [];
  for (const d of diffIds) chain.push(chain.length === 0 ? d : sha256(`${chain[chain.length - 1]} ${d}`));
  return chain;
}

/** The malicious (top) layer of an evil image, read from the registry without skiff. */
async function evilLayer(attack: string): Promise<LayerInfo> {
  const r = ref(attack);
  const slash = r.indexOf('/');
  const colon = r.lastIndexOf(':');
  const base = `http://${r.slice(0, slash)}/v2/${r.slice(slash + 1, colon)}`;
  const m = await fetch(`${base}/manifests/${r.slice(colon + 1)}`, { headers: { Accept: `${OCI_MANIFEST}, ${DOCKER_MANIFEST}` } });
  assert.is(m.status, 200, `manifest of ${r}`);
  const manifest = (await m.json()) as { config: { digest: string }; layers: { digest: string }[] };
  const c = await fetch(`${base}/blobs/${manifest.config.digest}`);
  assert.is(c.status, 200, `config of ${r}`);
  const diffIds = ((await c.json()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
  assert.is(manifest.layers.length, 2, `${r}: busybox layer + one malicious layer`);
  assert.is(diffIds.length, 2);
  return { digest: manifest.layers[1].digest, diffId: diffIds[1], chainId: chainIds(diffIds)[1] };
}

function tmpEvil(): string[] {
  return readdirSync('/tmp').filter((n) => n.startsWith('skiff-evil-')).map((n) => `/tmp/${n}`);
}

/** The layer dirs of images pulled with a confined name: the only place an attack's file may be. */
const confinedLayers = new Set<string>();

/** Every path under dir whose name is one an attack writes, outside the confined layers (and `allowed`). */
function findEvil(dir: string, allowed?: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    if (d === allowed || confinedLayers.has(d)) return;
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return; // Unreadable here (e.g. a 0700 dir of a subordinate id when not root): nothing we could check.
    }
    for (const n of names) {
      const p = join(d, n);
      if (EVIL_NAME.test(n)) found.push(p);
      let st;
      try {
        st = lstatSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return found;
}

/** Temp dirs the layer store leaves while an unpack is in progress (`.<chainhex>.<rand>.tmp`). */
function layerTemps(): string[] {
  if (!existsSync(layersDir)) return [];
  return readdirSync(layersDir).filter((n) => n.startsWith('.') && n.endsWith('.tmp'));
}

function passwdState(): string {
  const st = statSync('/etc/passwd');
  return `${st.ino} ${st.nlink} ${st.size} ${st.mtimeMs} ${createHash('sha256').update(readFileSync('/etc/passwd')).digest('hex')}`;
}

function show(r: RunResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/** Pulls REF, checking nothing appeared outside the layer store before and after. */
async function pull(attack: string, allowedLayerDir?: string): Promise<RunResult> {
  assert.equal(tmpEvil(), [], 'before the pull: /tmp/skiff-evil-* already exists (left by an earlier escape? remove it)');
  const passwd = passwdState();
  const r = await S.skiff(['pull', ref(attack)]);
  assert.not.ok(r.timedOut, show(r));
  assert.equal(tmpEvil(), [], `${attack}: the pull wrote into /tmp\n${show(r)}`);
  assert.equal(findEvil(S.dir, allowedLayerDir), [], `${attack}: files outside the layer dir\n${show(r)}`);
  assert.is(passwdState(), passwd, `${attack}: /etc/passwd changed`);
  assert.equal(layerTemps(), [], `${attack}: temp layer dirs left in ${layersDir}`);
  assert.not.match(r.stderr, /\n\s+at /, `${attack}: a stack trace\n${show(r)}`);
  return r;
}

async function listedImages(): Promise<string[]> {
  const r = await S.skiff(['images', '--format', '{{.Repository}}:{{.Tag}}']);
  assert.is(r.code, 0, show(r));
  return r.stdout.split('\n').filter((l) => l !== '');
}

/** `skiff image inspect` of the pulled image: its layer dir, from RootFS.Layers (diffIDs → chain ID). */
async function topLayerDir(attack: string): Promise<string> {
  const r = await S.skiff(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref(attack)]);
  assert.is(r.code, 0, show(r));
  const diffIds = JSON.parse(r.stdout) as string[];
  assert.is(diffIds.length, 2, r.stdout);
  return join(layersDir, hex(chainIds(diffIds)[1]), 'diff');
}

// ---------------------------------------------------------------------------------------------
// Confined: ".." and absolute names land inside the layer

const confined: Array<{ attack: string; file: string; content: string }> = [
  { attack: 'dotdot', file: 'tmp/skiff-evil-dotdot', content: 'dotdot\n' },
  { attack: 'absolute', file: 'tmp/skiff-evil-absolute', content: 'absolute\n' },
];

for (const { attack, file, content } of confined) {
  test(`${attack}: the name is confined to the layer, the pull succeeds, the file is at ${file} in the layer dir`, async () => {
    const layer = await evilLayer(attack);
    const diff = join(layersDir, hex(layer.chainId), 'diff');
    const r = await pull(attack, diff);
    assert.is(r.code, 0, show(r));
    assert.ok((await listedImages()).includes(ref(attack)), `skiff images lists ${ref(attack)}`);
    // Where the file went, found through image inspect's RootFS.Layers as a user would.
    assert.is(await topLayerDir(attack), diff);
    // The layer dir belongs to the user's subordinate ids: read it as the test user.
    const ls = await S.run(['ls', '-A', diff]);
    assert.is(ls.code, 0, show(ls));
    assert.is(ls.stdout, 'tmp\n', 'the layer holds only tmp/');
    const cat = await S.run(['cat', join(diff, file)]);
    assert.is(cat.code, 0, show(cat));
    assert.is(cat.stdout, content);
    confinedLayers.add(diff);
  });
}

// ---------------------------------------------------------------------------------------------
// Refused: symlinked parents, hard links and a dir→symlink swap that lead outside

const refused: Array<{ attack: string; entry: string; why: string }> = [
  { attack: 'symlink-parent', entry: 'escape/skiff-evil-symlink', why: 'parent is a symlink to /tmp' },
  { attack: 'symlink-relative', entry: 'up/skiff-evil-rel', why: 'parent is a relative symlink that climbs out' },
  { attack: 'hardlink', entry: 'passwd-link', why: 'hard link to /etc/passwd' },
  { attack: 'hardlink-dotdot', entry: 'passwd-link', why: 'hard link to ../…/etc/passwd' },
  { attack: 'dir-to-symlink', entry: 'd/skiff-evil-swap', why: 'a dir replaced by a symlink to /tmp, then written through' },
];

for (const { attack, entry, why } of refused) {
  test(`${attack} (${why}): refused with the layer and the entry named, nothing left behind`, async () => {
    const layer = await evilLayer(attack);
    for (const attempt of ['first', 'second']) {
      const r = await pull(attack);
      assert.is(r.code, 1, `${attempt} pull: Docker's pull exits 1\n${show(r)}`);
      const short = hex(layer.digest).slice(0, 12);
      assert.ok(r.stderr.includes(short) || r.stderr.includes(hex(layer.diffId).slice(0, 12)),
        `${attempt} pull: stderr names the layer (${layer.digest})\n${show(r)}`);
      assert.ok(r.stderr.includes(entry), `${attempt} pull: stderr names the entry ${entry}\n${show(r)}`);
      // Nothing of the malicious layer was kept: no layer dir for its chain, no temp dir.
      assert.not.ok(existsSync(join(layersDir, hex(layer.chainId))), `${attempt} pull: no layer dir for the refused layer`);
    }
    assert.not.ok((await listedImages()).includes(ref(attack)), `skiff images does not list ${ref(attack)}`);
    const inspect = await S.skiff(['image', 'inspect', ref(attack)]);
    assert.is(inspect.code, 1, `image inspect of the refused image fails as for a missing image\n${show(inspect)}`);
    assert.match(inspect.stderr, /No such image/i, show(inspect));
  });
}

// ---------------------------------------------------------------------------------------------
// Devices: skipped rootless, with one warning

test('device: char and block devices are skipped with exactly one warning; the pull succeeds', async () => {
  const layer = await evilLayer('device');
  const diff = join(layersDir, hex(layer.chainId), 'diff');
  const r = await pull('device');
  assert.is(r.code, 0, show(r));
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const warnings = lines.filter((l) => /warn/i.test(l));
  assert.is(warnings.length, 1, `exactly one warning line\n${show(r)}`);
  assert.match(warnings[0], /device/i, `the warning is about device nodes\n${show(r)}`);
  assert.is(lines.filter((l) => /device/i.test(l)).length, 1, `one line about devices, not one per node\n${show(r)}`);
  assert.ok((await listedImages()).includes(ref('device')), `skiff images lists ${ref('device')}`);
  assert.is(await topLayerDir('device'), diff);
  // dev/ is there; the nodes are not.
  const ls = await S.run(['ls', '-A', join(diff, 'dev')]);
  assert.is(ls.code, 0, show(ls));
  assert.is(ls.stdout, '', 'no device nodes in the layer');
});

test('the layer store holds no temp dirs and /tmp no skiff-evil-* after all attacks', () => {
  assert.equal(layerTemps(), []);
  assert.equal(tmpEvil(), []);
});

test.run();
