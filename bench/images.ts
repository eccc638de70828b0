// Pull benchmarks: skiff pull vs podman pull of the Debian and multi-layer fixtures, image removed before each run.
import { resolve } from 'node:path';
import { runCases, type Case } from './harness';

const skiff = process.env.SKIFF ?? resolve(__dirname, '..', '..', 'dist', 'skiff');
const runs = Number(process.env.RUNS ?? 10);
const registry = process.env.REGISTRY ?? '127.0.0.1:5000';

function pullCase(name: string, image: string): Case {
  return {
    name: `pull ${name}`,
    skiff: [skiff, 'pull', '-q', image],
    podman: ['podman', 'pull', '-q', '--tls-verify=false', image],
    before: {
      // Removing 100+ MB leaves the disk busy (journal, discards): let it settle so both sides start equal.
      skiff: ['sh', '-c', `${skiff} rmi -f ${image} >/dev/null 2>&1; ${skiff} image prune -af >/dev/null 2>&1; sync; sleep 2`],
      podman: ['sh', '-c', `podman rmi -f ${image} >/dev/null 2>&1; sync; sleep 2`],
    },
  };
}

process.stdout.write(
  runCases([
    pullCase('debian (61 MB, 1 layer)', `${registry}/skiff-test/debian:bookworm`),
    pullCase('layers (4 layers)', `${registry}/skiff-test/layers:latest`),
  ], runs),
);
