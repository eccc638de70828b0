// Runs a skiff command and the same Podman command alternately and prints a markdown table.
import { spawnSync } from 'node:child_process';

export interface Case {
  name: string;
  skiff: string[];
  podman?: string[];
  /** Runs before every timed run of either side (e.g. remove the image before a pull). */
  before?: { skiff?: string[]; podman?: string[] };
}

export interface Stats {
  min: number;
  median: number;
  max: number;
}

export function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { min: sorted[0], median, max: sorted[sorted.length - 1] };
}

function timeOnce(argv: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr}`);
  return seconds;
}

function prepare(argv: string[] | undefined): void {
  if (argv) spawnSync(argv[0], argv.slice(1), { stdio: 'ignore' });
}

export function hasPodman(): boolean {
  return spawnSync('podman', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Alternates skiff and podman runs so that drift in machine load hits both alike. */
export function runCases(cases: Case[], runs = 10): string {
  const podman = hasPodman();
  const lines = [
    `| case | skiff min / median / max (s) | podman min / median / max (s) | median ratio |`,
    `| --- | --- | --- | --- |`,
  ];
  for (const c of cases) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < runs; i++) {
      prepare(c.before?.skiff);
      ours.push(timeOnce(c.skiff));
      if (podman && c.podman) {
        prepare(c.before?.podman);
        theirs.push(timeOnce(c.podman));
      }
    }
    const a = stats(ours);
    const fmt = (s: Stats): string => `${s.min.toFixed(3)} / ${s.median.toFixed(3)} / ${s.max.toFixed(3)}`;
    if (theirs.length) {
      const b = stats(theirs);
      lines.push(`| ${c.name} | ${fmt(a)} | ${fmt(b)} | ${(a.median / b.median).toFixed(2)}× |`);
    } else {
      lines.push(`| ${c.name} | ${fmt(a)} | (podman not run) | |`);
    }
  }
  return `${lines.join('\n')}\n`;
}
