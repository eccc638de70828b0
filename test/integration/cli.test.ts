// The executable as a user meets it: version, help, usage errors, exit codes, info, doctor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadEnv, repoRoot } from '../lib/env';
import { session, skiff, skiffBinary } from '../lib/skiff';

const version = JSON.parse(readFileSync(join(repoRoot(), 'package.json'), 'utf8')).version as string;

test('--version and -v print the version line and exit 0', async () => {
  for (const flag of ['--version', '-v']) {
    const r = await skiff([flag]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^skiff version ${version.replace(/\./g, '\\.')}, build \\w+\\n$`));
  }
});

test('version --format evaluates a Go template; Server mirrors Client', async () => {
  const r = await skiff(['version', '--format', '{{.Client.Version}} {{.Server.Version}} {{.Client.Os}}/{{.Client.Arch}}']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, `${version} ${version} linux/amd64\n`);
  const j = await skiff(['version', '--format', '{{json .Client}}']);
  assert.is(JSON.parse(j.stdout).Version, version);
});

test('help: top level, a group, a leaf; a group alone prints its help', async () => {
  const top = await skiff(['--help']);
  assert.is(top.code, 0);
  assert.match(top.stdout, /^Usage:  skiff \[OPTIONS\] COMMAND\n/);
  for (const c of ['container', 'image', 'run', 'ps', 'doctor', 'info']) assert.match(top.stdout, new RegExp(`\\n  ${c} +\\S`));
  const group = await skiff(['container']);
  assert.is(group.code, 0);
  assert.match(group.stdout, /Usage:  skiff container COMMAND/);
  const leaf = await skiff(['ps', '--help']);
  assert.is(leaf.code, 0);
  assert.match(leaf.stdout, /Usage:  skiff ps \[OPTIONS\]/);
  assert.match(leaf.stdout, /skiff container ls, skiff container list, skiff container ps, skiff ps/);
  const info = await skiff(['info', '--help']);
  assert.match(info.stdout, /-f, --format string/);
});

test("usage errors: Docker's texts and exit codes", async () => {
  const flag = await skiff(['info', '--bogus']);
  assert.is(flag.code, 125);
  assert.is(flag.stderr, "unknown flag: --bogus\n\nUsage:  skiff info [OPTIONS]\n\nRun 'skiff info --help' for more information\n");
  const cmd = await skiff(['frobnicate']);
  assert.is(cmd.code, 1);
  assert.match(cmd.stderr, /unknown command: skiff frobnicate/);
  const sub = await skiff(['container', 'frob']);
  assert.is(sub.code, 1);
  assert.match(sub.stderr, /unknown command: skiff container frob/);
  const args = await skiff(['version', 'extra']);
  assert.is(args.code, 1);
  assert.match(args.stderr, /'skiff version' accepts no arguments/);
  const level = await skiff(['--log-level', 'loud', 'version']);
  assert.is(level.code, 1);
  assert.is(level.stderr, 'Unable to parse logging level: loud\n');
  assert.not.match(flag.stderr + cmd.stderr + args.stderr, /\n\s+at /, 'no stack traces');
});

test('a command not implemented yet says so and exits 125, never pretends', async () => {
  for (const argv of [['build', '.'], ['volume', 'ls'], ['network', 'ls'], ['compose', 'up']]) {
    const r = await skiff(argv);
    assert.is(r.code, 125, argv.join(' '));
    assert.match(r.stderr, /^Error: "skiff [a-z ]+" is not implemented yet in skiff /);
    assert.is(r.stdout, '');
  }
});

test('info --format json reports the rootless paths, mapping and the real cgroup layout', async () => {
  const s = session();
  const r = await skiff(['info', '--format', 'json']);
  assert.is(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  const env = loadEnv();
  const rootless = env.uid !== 0;
  assert.is(info.DockerRootDir, rootless ? join(s.dataHome, 'skiff') : '/var/lib/skiff');
  assert.is(info.Skiff.Rootless, rootless);
  if (rootless && env.subuid) {
    assert.ok(info.Skiff.SubUIDRanges.length > 0, JSON.stringify(info.Skiff));
  }
  // The cgroup version the engine reports agrees with the filesystem on /sys/fs/cgroup.
  const fsType = spawnSync('stat', ['-f', '-c', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).stdout.trim();
  assert.is(String(info.CgroupVersion), fsType === 'cgroup2fs' ? '2' : '1');
  assert.is(typeof info.Containers, 'number');
  assert.is(typeof info.Images, 'number');
  const text = await skiff(['info']);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /Docker Root Dir: /);
  assert.match(text.stdout, /\n Containers: \d+\n  Running: \d+\n  Paused: \d+\n  Stopped: \d+\n Images: \d+\n/);
});

test('the helper is extracted once into the data dir under a name carrying its hash', async () => {
  const s = session();
  await skiff(['info', '--format', '{{.ServerVersion}}']);
  const bin = join(s.dataHome, 'skiff', 'bin');
  const first = readdirSync(bin).filter((n) => n.startsWith('skiff-helper-'));
  assert.is(first.length, 1, `helpers in ${bin}: ${first.join(' ')}`);
  assert.match(first[0], /^skiff-helper-[0-9a-f]{16}$/);
  await skiff(['doctor']);
  assert.equal(readdirSync(bin).filter((n) => n.startsWith('skiff-helper-')), first);
});

test('doctor on the prepared test host: every blocker ok, exit 0, cgroup line tells the truth', async () => {
  const r = await skiff(['doctor']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  for (const line of ['user namespaces', 'overlay', 'network']) assert.match(r.stdout, new RegExp(`  ok +${line}`));
  assert.match(r.stdout, /containers can run/);
  const hybrid = existsSync('/sys/fs/cgroup/unified') && spawnSync('stat', ['-f', '-c', '%T', '/sys/fs/cgroup'], { encoding: 'utf8' }).stdout.trim() !== 'cgroup2fs';
  if (hybrid) assert.match(r.stdout, /warning +cgroups: cgroup v1 hybrid/);
});

test('doctor, run by a user without subuid entries, names that and the usermod fix', async () => {
  const env = loadEnv();
  if (!env.noSubidUser) return; // made only when the suite runs as root
  const user = env.noSubidUser;
  const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim();
  const gid = spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim();
  const home = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.split(':')[5];
  const r = spawnSync('setpriv', ['--reuid', uid, '--regid', gid, '--init-groups', 'env', '-i', `HOME=${home}`, `USER=${user}`,
    'PATH=/usr/bin:/bin:/usr/sbin:/sbin', `XDG_RUNTIME_DIR=/run/user/${uid}`, skiffBinary(), 'doctor'], { encoding: 'utf8', cwd: '/' });
  assert.is(r.status, 0, r.stdout + r.stderr); // a single-id mapping still runs containers
  assert.match(r.stdout, new RegExp(`warning +subuid: no entry for "${user}" in /etc/subuid`));
  assert.match(r.stdout, new RegExp(`sudo usermod --add-subuids \\d+-\\d+ --add-subgids \\d+-\\d+ ${user}`));
  assert.match(r.stdout, /only your own uid and gid are mapped/);
});

test('bash completion offers commands, subcommands and flags from the executable itself', async () => {
  const script = [
    `source ${join(repoRoot(), 'completions', 'skiff.bash')}`,
    'complete_words() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _skiff; echo "${COMPREPLY[*]}"; }',
    'complete_words skiff con',
    'complete_words skiff container r',
    'complete_words skiff run --r',
  ].join('\n');
  const r = await session().run(['bash', '-c', script], { env: { PATH: `${dirname(skiffBinary())}:/usr/bin:/bin` } });
  assert.is(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n'), ['container', 'rename restart rm run', '--read-only --restart --rm']);
});

test('the executable runs alone, away from the repository', async () => {
  const bin = skiffBinary();
  assert.not.ok(bin.startsWith(repoRoot()), bin);
  const r = await skiff(['version', '--format', '{{.Server.Rootless}}']);
  assert.is(r.stdout.trim(), String(loadEnv().uid !== 0));
});

test.run();
