// Start-up benchmarks of the single executable: `skiff --version` and `skiff info` beside Podman's.
import { resolve } from 'node:path';
import { runCases } from './harness';

const skiff = process.env.SKIFF ?? resolve(__dirname, '..', '..', 'dist', 'skiff');
const runs = Number(process.env.RUNS ?? 10);

process.stdout.write(
  runCases(
    [
      { name: '--version', skiff: [skiff, '--version'], podman: ['podman', '--version'] },
      { name: 'version', skiff: [skiff, 'version'], podman: ['podman', 'version'] },
      { name: 'info', skiff: [skiff, 'info'], podman: ['podman', 'info'] },
    ],
    runs,
  ),
);
