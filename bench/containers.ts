// Container benchmarks beside Podman: run --rm true, run -d, ps -a with 500 containers, and monitor RSS.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { hasPodman, runCases, stats } from './harness';

const skiff = process.env.SKIFF ?? resolve(__dirname, '..', '..', 'dist', 'skiff');
const runs = Number(process.env.RUNS ?? 10);
const image = process.env.IMAGE ?? '127.0.0.1:5000/skiff-test/busybox:latest';
const podmanRun = ['podman', 'run', '--runtime', 'runc', '--network', 'none'];
const many = Number(process.env.MANY ?? 500);

function sh(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
}

sh([skiff, 'pull', '-q', image]);
if (hasPodman()) spawnSync('podman', ['pull', '-q', '--tls-verify=false', image], { stdio: 'ignore' });

let out = runCases([
  { name: 'run --rm IMAGE true', skiff: [skiff, 'run', '--rm', image, 'true'], podman: [...podmanRun, '--rm', image, 'true'] },
  {
    name: 'run -d IMAGE sleep 60',
    skiff: [skiff, 'run', '-d', image, 'sleep', '60'],
    podman: [...podmanRun, '-d', image, 'sleep', '60'],
    before: {
      skiff: ['sh', '-c', `${skiff} rm -f $(${skiff} ps -aq) >/dev/null 2>&1; true`],
      podman: ['sh', '-c', 'podman rm -f -a >/dev/null 2>&1; true'],
    },
  },
], runs);
spawnSync('sh', ['-c', `${skiff} rm -f $(${skiff} ps -aq) >/dev/null 2>&1; podman rm -f -a >/dev/null 2>&1`], { stdio: 'ignore' });

// ps -a with many exited containers on each side.
for (let i = 0; i < many; i++) {
  sh([skiff, 'create', image, 'true']);
  if (hasPodman()) spawnSync('podman', ['create', '--runtime', 'runc', '--network', 'none', image, 'true'], { stdio: 'ignore' });
}
out += runCases([{ name: `ps -a with ${many} containers`, skiff: [skiff, 'ps', '-a'], podman: ['podman', 'ps', '-a'] }], runs).split('\n').slice(2).join('\n');
spawnSync('sh', ['-c', `${skiff} container prune -f >/dev/null 2>&1; podman container prune -f >/dev/null 2>&1`], { stdio: 'ignore' });

// Idle monitor RSS: a sleeping container's monitor (skiff-helper) vs Podman's conmon.
function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}
const rss: number[] = [];
for (let i = 0; i < 5; i++) {
  const id = sh([skiff, 'run', '-d', image, 'sleep', '60']).trim();
  spawnSync('sleep', ['1']);
  const state = process.env.XDG_RUNTIME_DIR ? `${process.env.XDG_RUNTIME_DIR}/skiff` : `/tmp/skiff-${process.getuid?.()}`;
  const pid = Number(readFileSync(`${state}/containers/${id}/monitor.pid`, 'utf8').split(/\s+/)[0]);
  rss.push(rssKiB(pid));
  sh([skiff, 'rm', '-f', id]);
}
let conmon = '(podman not run)';
if (hasPodman()) {
  const id = sh([...podmanRun, '-d', image, 'sleep', '60']).trim();
  spawnSync('sleep', ['1']);
  const pid = Number(sh(['pgrep', '-f', `conmon.*${id.slice(0, 12)}`]).trim().split('\n')[0]);
  conmon = `${rssKiB(pid)} KiB`;
  spawnSync('podman', ['rm', '-f', id], { stdio: 'ignore' });
}
const r = stats(rss);
out += `| idle monitor RSS | ${r.min} / ${r.median} / ${r.max} KiB | conmon ${conmon} | |\n`;
process.stdout.write(out);
