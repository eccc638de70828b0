// Commands about skiff itself and its host: version, info, doctor.
import { arch, platform, release } from 'node:os';
import { defineCommand, type CommandContext } from './command';
import { resolvePaths, type Paths } from '../paths';
import { runHelper } from '../runtime/helper';
import { gatherHostFacts, type HostFacts } from '../system/host';
import { canRunContainers, diagnose, renderDoctor } from '../system/doctor';
import { infoModel, renderInfo, renderInfoWarnings, type ObjectCounts } from '../system/info';
import { executeTemplate, parseTemplate } from './format/template';

declare const SKIFF_VERSION: string;
declare const SKIFF_COMMIT: string;

const formatFlag = {
  format: { type: 'string', alias: 'f', description: "Format output using a custom template: 'json': Print in JSON format; 'TEMPLATE': Print output using the given Go template." },
} as const;

/** Docker's architecture names for Node's. */
function goArch(): string {
  return ({ x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[arch()] ?? arch();
}

/** Prints `data` through --format: `json` or a Go template; returns false when no format was given. */
function printFormatted(format: unknown, data: unknown): boolean {
  if (typeof format !== 'string' || format === '') return false;
  if (format === 'json') process.stdout.write(`${JSON.stringify(data)}\n`);
  else process.stdout.write(`${executeTemplate(parseTemplate(format), data)}\n`);
  return true;
}

export const version = defineCommand({
  args: formatFlag,
  maxArgs: 0,
  async run(ctx) {
    const paths = resolvePaths(ctx.globals);
    const component = {
      Version: SKIFF_VERSION,
      GitCommit: SKIFF_COMMIT,
      NodeVersion: process.version,
      Os: platform(),
      Arch: goArch(),
    };
    // skiff has no daemon: the engine is this same executable, so Server mirrors Client
    // (scripts read {{.Server.Version}} to check that the engine works).
    const data = {
      Client: { Platform: { Name: 'skiff' }, ...component, Context: 'rootless' },
      Server: {
        Platform: { Name: 'skiff (daemonless)' },
        ...component,
        KernelVersion: release(),
        Rootless: paths.rootless,
      },
    };
    if (printFormatted(ctx.flags.format, data)) return;
    const rows = (obj: Record<string, string | boolean>): string =>
      Object.entries(obj).map(([k, v]) => ` ${`${k}:`.padEnd(18)} ${v}`).join('\n');
    process.stdout.write(
      `Client:\n${rows({ Version: SKIFF_VERSION, 'Git commit': SKIFF_COMMIT, 'Node version': process.version, 'OS/Arch': `${platform()}/${goArch()}` })}\n\n` +
        `Server: (daemonless; the engine runs inside each skiff command)\n${rows({ Version: SKIFF_VERSION, 'Kernel version': release(), Rootless: paths.rootless })}\n`,
    );
  },
});

async function hostFacts(paths: Paths): Promise<HostFacts> {
  return gatherHostFacts({
    paths,
    runProbe: async (args: string[]) => {
      const result = await runHelper(paths, ['probe', ...args]);
      if (result.code !== 0) throw new Error(result.stderr.trim() || `skiff-helper probe exited ${result.code}`);
      return JSON.parse(result.stdout);
    },
  });
}

/** Containers by state and images, as `docker info` counts them. */
async function objectCounts(paths: Paths): Promise<ObjectCounts> {
  const [{ containerStore, refresh }, { openStores }] = await Promise.all([import('../runtime/containers'), import('../image/stores')]);
  const store = containerStore(paths);
  const counts = { running: 0, paused: 0, stopped: 0 };
  for (const record of await store.list().catch(() => [])) {
    const status = (await refresh(paths, store, record)).state.Status;
    if (status === 'running' || status === 'restarting') counts.running++;
    else if (status === 'paused') counts.paused++;
    else counts.stopped++;
  }
  const images = (await openStores(paths).images.list().catch(() => [])).length;
  return { containers: counts, images };
}

export const info = defineCommand({
  args: formatFlag,
  maxArgs: 0,
  async run(ctx: CommandContext) {
    const paths = resolvePaths(ctx.globals);
    const [facts, objects] = await Promise.all([hostFacts(paths), objectCounts(paths)]);
    const model = infoModel(facts, paths, SKIFF_VERSION, objects);
    if (printFormatted(ctx.flags.format, model)) return;
    process.stdout.write(renderInfo(model));
    process.stderr.write(renderInfoWarnings(model));
  },
});

export const doctor = defineCommand({
  args: formatFlag,
  maxArgs: 0,
  async run(ctx) {
    const paths = resolvePaths(ctx.globals);
    const facts = await hostFacts(paths);
    const checks = diagnose(facts);
    const ok = canRunContainers(checks);
    if (!printFormatted(ctx.flags.format, { Checks: checks, CanRunContainers: ok })) {
      process.stdout.write(renderDoctor(checks, { color: process.stdout.isTTY === true && !process.env.NO_COLOR, distro: facts.distro }));
    }
    return ok ? 0 : 1;
  },
});
