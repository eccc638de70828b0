// Image commands: pull, images, rmi, tag, image inspect, history, image prune.
import { createInterface } from 'node:readline';
import { defineCommand, type CommandContext } from './command';
import { ExitCode, SkiffError } from '../errors';
import { resolvePaths, type Paths } from '../paths';
import { formatList } from './format';
import { labelsMatch, parseFilters, pruneFilter } from './filters';
import { createdSince, ellipsis, goTime, humanSize } from './format/units';
import { shortId } from '../storage/ids';
import { progressRenderer } from './progress';
import { pullImage } from '../image/pull';
import { familiarName, familiarString, parseReference, type Reference } from '../image/reference';
import { loadRegistriesConfig } from '../image/registries';
import { parsePlatform } from '../image/registry';
import { openStores, type Stores } from '../image/stores';
import type { ImageRecord } from '../storage/images';
import { compareCodePoints } from './format/values';

const formatHelp = "Format output using a custom template: 'table': Print output in table format with column headers (default) 'table TEMPLATE': Print output in table format using the given Go template 'json': Print in JSON format 'TEMPLATE': Print output using the given Go template.";

interface Context {
  paths: Paths;
  stores: Stores;
}

function open(ctx: CommandContext): Context {
  const paths = resolvePaths(ctx.globals);
  return { paths, stores: openStores(paths) };
}

/** `docker.io/library/busybox:latest` → { repository: 'busybox', tag: 'latest' } as images shows it. */
function splitName(full: string): { repository: string; tag?: string; digest?: string } {
  const ref = parseReference(full);
  return { repository: familiarName(ref), tag: ref.tag, digest: ref.digest };
}

/** The store's full form of a name as typed (busybox → docker.io/library/busybox:latest), if it is one. */
function fullReference(name: string): string | undefined {
  try {
    const ref = parseReference(name);
    return `${ref.domain}/${ref.path}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
  } catch {
    return undefined;
  }
}

async function containersUsing(paths: Paths, imageId: string): Promise<Array<{ id: string; running: boolean }>> {
  const { containerStore, refresh } = await import('../runtime/containers');
  const store = containerStore(paths);
  const out: Array<{ id: string; running: boolean }> = [];
  for (const record of await store.list()) {
    if (record.image !== imageId) continue;
    const seen = await refresh(paths, store, record);
    out.push({ id: seen.id, running: ['running', 'restarting', 'paused'].includes(seen.state.Status) });
  }
  return out;
}

/** The image config's Labels (what --filter label= matches). */
async function imageLabels(stores: Stores, image: ImageRecord): Promise<Record<string, string> | undefined> {
  return ((await readConfig(stores, image)).config as { Labels?: Record<string, string> } | undefined)?.Labels;
}

async function readConfig(stores: Stores, image: ImageRecord): Promise<Record<string, unknown>> {
  try {
    return JSON.parse((await stores.content.readBuffer(image.configDigest)).toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

// ---------------------------------------------------------------------------------------------
// pull

export const pull = defineCommand({
  args: {
    'all-tags': { type: 'boolean', alias: 'a', description: 'Download all tagged images in the repository' },
    'disable-content-trust': { type: 'boolean', description: 'Skip image verification', default: true },
    platform: { type: 'string', description: 'Set platform if server is multi-platform capable' },
    quiet: { type: 'boolean', alias: 'q', description: 'Suppress verbose output' },
    'tls-verify': { type: 'boolean', description: 'Require HTTPS and verify certificates (default true, except for localhost and insecure registries)' },
    'max-concurrent-downloads': { type: 'string', valueHint: 'int', description: 'Maximum number of layers downloaded at once', default: '3' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const { paths, stores } = open(ctx);
    const config = await loadRegistriesConfig(paths.config);
    const quiet = ctx.flags.quiet === true;
    const platform = typeof ctx.flags.platform === 'string' ? parsePlatform(ctx.flags.platform, { exitCode: ExitCode.failure }) : undefined;
    const tlsVerify = ctx.flags['tls-verify'] as boolean | undefined;
    const name = ctx.args[0];
    let names = [name];
    if (ctx.flags['all-tags']) names = await allTags(name, paths, tlsVerify);
    else if (!/[:@][^/]*$/.test(name.replace(/^[^/]*:\d+\//, 'x/'))) {
      if (!quiet) process.stdout.write('Using default tag: latest\n');
    }
    for (const one of names) {
      const progress = progressRenderer(process.stdout, { quiet });
      const result = await pullImage({
        paths, stores, config, name: one, platform, tlsVerify, progress,
        maxConcurrentDownloads: Number(ctx.flags['max-concurrent-downloads']) || 3,
      });
      progress.done();
      const shown = familiarString(result.reference);
      if (!quiet) {
        process.stdout.write(`Digest: ${result.digest}\n`);
        process.stdout.write(result.upToDate ? `Status: Image is up to date for ${shown}\n` : `Status: Downloaded newer image for ${shown}\n`);
      }
      const canonical = `${result.reference.domain}/${result.reference.path}${result.reference.digest ? `@${result.reference.digest}` : `:${result.reference.tag}`}`;
      process.stdout.write(`${canonical}\n`);
    }
  },
});

async function allTags(name: string, paths: Paths, tlsVerify: boolean | undefined): Promise<string[]> {
  const ref = parseReference(name, { exitCode: ExitCode.failure });
  if (ref.tag || ref.digest) throw new SkiffError('tag can\'t be used with --all-tags/-a', ExitCode.failure);
  const { registryClientFor } = await import('../image/registry');
  const config = await loadRegistriesConfig(paths.config);
  const client = await registryClientFor(ref, { config, tlsVerify, userAgent: 'skiff' });
  const tags = await client.listTags();
  return tags.map((t) => `${ref.domain}/${ref.path}:${t}`);
}

// ---------------------------------------------------------------------------------------------
// images / image ls

interface ImageRow {
  Repository: string;
  Tag: string;
  Digest: string;
  ID: string;
  CreatedSince: string;
  CreatedAt: string;
  Size: string;
  VirtualSize: string;
  SharedSize: string;
  UniqueSize: string;
  Containers: string;
}

const imageHeaders = {
  Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT',
  Size: 'SIZE', VirtualSize: 'VIRTUAL SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS',
};

/** Docker's reference filter: a glob over the familiar name, with or without the tag. */
function globMatch(pattern: string, text: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  return re.test(text);
}

export const ls = defineCommand({
  args: {
    all: { type: 'boolean', alias: 'a', description: 'Show all images (default hides intermediate images)' },
    digests: { type: 'boolean', description: 'Show digests' },
    filter: { type: 'string', alias: 'f', valueHint: 'filter', description: 'Filter output based on conditions provided' },
    format: { type: 'string', description: formatHelp },
    'no-trunc': { type: 'boolean', description: "Don't truncate output" },
    quiet: { type: 'boolean', alias: 'q', description: 'Only show image IDs' },
  },
  maxArgs: 1,
  async run(ctx) {
    const { stores } = open(ctx);
    const filters = parseFilters(ctx.flags.filter as string[], ['dangling', 'reference', 'label', 'before', 'since']);
    let images = await stores.images.list();
    images.sort((a, b) => compareCodePoints(b.created ?? '', a.created ?? ''));
    const dangling = filters.get('dangling')?.[0];
    if (dangling !== undefined) {
      if (!['true', 'false', '1', '0'].includes(dangling)) throw new SkiffError(`invalid filter 'dangling=${dangling}'`, ExitCode.failure);
      const want = dangling === 'true' || dangling === '1';
      images = images.filter((i) => (i.repoTags.length === 0) === want);
    }
    for (const [key, cmp] of [['before', -1], ['since', 1]] as const) {
      for (const name of filters.get(key) ?? []) {
        const pivot = await stores.images.resolve(name);
        images = images.filter((i) => Math.sign(Date.parse(i.created ?? '') - Date.parse(pivot.created ?? '')) === cmp);
      }
    }
    const labels = filters.get('label') ?? [];
    if (labels.length > 0) {
      const kept: ImageRecord[] = [];
      for (const image of images) {
        if (labelsMatch(filters, await imageLabels(stores, image))) kept.push(image);
      }
      images = kept;
    }
    const refPatterns = [...(filters.get('reference') ?? []), ...(ctx.args[0] ? [ctx.args[0]] : [])];
    const noTrunc = ctx.flags['no-trunc'] === true;
    const rows: ImageRow[] = [];
    for (const image of images) {
      const id = noTrunc ? image.id : shortId(image.id);
      const base = {
        ID: id,
        CreatedSince: createdSince(image.created),
        CreatedAt: goTime(image.created),
        Size: humanSize(image.size),
        VirtualSize: humanSize(image.size),
        SharedSize: 'N/A',
        UniqueSize: 'N/A',
        Containers: 'N/A',
      };
      const digestFor = (repository: string): string =>
        image.repoDigests.map(splitName).find((d) => d.repository === repository)?.digest ?? '<none>';
      const named = image.repoTags.map(splitName);
      const entries = named.length > 0
        ? named.map((n) => ({ Repository: n.repository, Tag: n.tag ?? '<none>', Digest: digestFor(n.repository) }))
        : image.repoDigests.length > 0
          ? image.repoDigests.map(splitName).map((d) => ({ Repository: d.repository, Tag: '<none>', Digest: d.digest ?? '<none>' }))
          : [{ Repository: '<none>', Tag: '<none>', Digest: '<none>' }];
      for (const entry of entries) {
        if (refPatterns.length > 0 && !refPatterns.some((p) => matchesReference(p, entry.Repository, entry.Tag))) continue;
        rows.push({ ...entry, ...base });
      }
    }
    const digests = ctx.flags.digests === true;
    const defaultFormat = digests
      ? 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}'
      : 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
    const quiet = ctx.flags.quiet === true;
    const shown = quiet ? rows.filter((r, i) => rows.findIndex((o) => o.ID === r.ID) === i) : rows;
    process.stdout.write(formatList(shown, { format: ctx.flags.format as string | undefined, defaultFormat, headers: imageHeaders, quiet, quietFormat: '{{.ID}}' }));
  },
});

function matchesReference(pattern: string, repository: string, tag: string): boolean {
  const colon = pattern.lastIndexOf(':');
  if (colon > pattern.lastIndexOf('/')) return globMatch(pattern.slice(0, colon), repository) && globMatch(pattern.slice(colon + 1), tag);
  return globMatch(pattern, repository);
}

// ---------------------------------------------------------------------------------------------
// rmi / image rm

export const rm = defineCommand({
  args: {
    force: { type: 'boolean', alias: 'f', description: 'Force removal of the image' },
    'no-prune': { type: 'boolean', description: 'Do not delete untagged parents' },
  },
  minArgs: 1,
  async run(ctx) {
    const { paths, stores } = open(ctx);
    const force = ctx.flags.force === true;
    let failed = false;
    let removedAny = false;
    for (const name of ctx.args) {
      try {
        for (const line of await removeImage(stores, name, force, paths)) process.stdout.write(`${line}\n`);
        removedAny = true;
      } catch (err) {
        failed = true;
        process.stderr.write(`Error response from daemon: ${(err as Error).message}\n`);
      }
    }
    if (removedAny) await stores.gc();
    return failed ? ExitCode.failure : 0;
  },
});

async function removeImage(stores: Stores, name: string, force: boolean, paths?: Paths): Promise<string[]> {
  const image = await stores.images.find(name);
  if (!image) {
    let shown = name;
    try {
      const ref = parseReference(name);
      shown = ref.digest ? name : familiarString({ ...ref, tag: ref.tag ?? 'latest' });
    } catch { /* not a reference: show as typed */ }
    throw new SkiffError(`No such image: ${shown}`, ExitCode.failure);
  }
  const full = fullReference(name);
  const byName = full !== undefined && (image.repoTags.includes(full) || image.repoDigests.includes(full));
  // Removing a name removes only that name while the image keeps other tags.
  if (byName && image.repoTags.some((t) => t !== full)) {
    await stores.images.untag(full!);
    return [`Untagged: ${familiarString(parseReference(full!))}`];
  }
  if (!byName && image.repoTags.length > 1 && !force) {
    throw new SkiffError(`conflict: unable to delete ${shortId(image.id)} (must be forced) - image is referenced in multiple repositories`, ExitCode.failure);
  }
  // Containers keep their image (and so its layers) alive, as in Docker.
  const users = paths ? await containersUsing(paths, image.id) : [];
  if (users.length > 0) {
    const running = users.find((u) => u.running);
    if (running) throw new SkiffError(`conflict: unable to delete ${shortId(image.id)} (cannot be forced) - image is being used by running container ${running.id.slice(0, 12)}`, ExitCode.failure);
    if (!force) {
      throw new SkiffError(byName
        ? `conflict: unable to remove repository reference "${name}" (must force) - container ${users[0].id.slice(0, 12)} is using its referenced image ${shortId(image.id)}`
        : `conflict: unable to delete ${shortId(image.id)} (must be forced) - image is being used by stopped container ${users[0].id.slice(0, 12)}`, ExitCode.failure);
    }
    const lines: string[] = [];
    for (const ref of [...image.repoTags, ...image.repoDigests]) {
      await stores.images.untag(ref);
      lines.push(`Untagged: ${familiarString(parseReference(ref))}`);
    }
    return lines;
  }
  const lines: string[] = [];
  const removed = await stores.images.remove(image.id);
  for (const tag of removed.repoTags) lines.push(`Untagged: ${familiarString(parseReference(tag))}`);
  for (const digest of removed.repoDigests) lines.push(`Untagged: ${familiarString(parseReference(digest))}`);
  lines.push(`Deleted: ${removed.id}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// tag

export const tag = defineCommand({
  minArgs: 2,
  maxArgs: 2,
  async run(ctx) {
    const { stores } = open(ctx);
    const image = await stores.images.resolve(ctx.args[0]);
    let target: Reference;
    try {
      target = parseReference(ctx.args[1]);
    } catch (err) {
      throw new SkiffError(`Error parsing reference: "${ctx.args[1]}" is not a valid repository/tag: ${(err as Error).message}`, ExitCode.failure);
    }
    if (target.digest) throw new SkiffError(`refusing to create a tag with a digest reference`, ExitCode.failure);
    await stores.images.tag(image.id, `${target.domain}/${target.path}:${target.tag ?? 'latest'}`);
  },
});

// ---------------------------------------------------------------------------------------------
// image inspect

export async function inspectModel(paths: Paths, stores: Stores, image: ImageRecord): Promise<Record<string, unknown>> {
  const config = await readConfig(stores, image);
  const c = (config.config ?? {}) as Record<string, unknown>;
  const containerConfig = (fields: Record<string, unknown>) => ({
    Hostname: '', Domainname: '', User: fields.User ?? '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    ...(fields.ExposedPorts ? { ExposedPorts: fields.ExposedPorts } : {}),
    Tty: false, OpenStdin: false, StdinOnce: false,
    Env: fields.Env ?? null, Cmd: fields.Cmd ?? null,
    ...(fields.Healthcheck ? { Healthcheck: fields.Healthcheck } : {}),
    Image: '', Volumes: fields.Volumes ?? null, WorkingDir: fields.WorkingDir ?? '', Entrypoint: fields.Entrypoint ?? null,
    OnBuild: fields.OnBuild ?? null, Labels: fields.Labels ?? null,
    ...(fields.StopSignal ? { StopSignal: fields.StopSignal } : {}),
  });
  const layerDirs = image.layers.map((l) => stores.layers.dir(l.chainId)).reverse();
  return {
    Id: image.id,
    RepoTags: image.repoTags.map((t) => familiarString(parseReference(t))),
    RepoDigests: image.repoDigests.map((d) => familiarString(parseReference(d))),
    Parent: '',
    Comment: (config.comment as string) ?? '',
    Created: image.created ?? config.created ?? '',
    Container: (config.container as string) ?? '',
    ContainerConfig: containerConfig((config.container_config ?? {}) as Record<string, unknown>),
    DockerVersion: (config.docker_version as string) ?? '',
    Author: (config.author as string) ?? '',
    Config: containerConfig(c),
    Architecture: image.platform.architecture,
    ...(image.platform.variant ? { Variant: image.platform.variant } : {}),
    Os: image.platform.os,
    Size: image.size,
    VirtualSize: image.size,
    GraphDriver: {
      Data: layerDirs.length > 1 ? { LowerDir: layerDirs.slice(1).join(':'), UpperDir: layerDirs[0] } : { UpperDir: layerDirs[0] ?? '' },
      Name: 'overlay',
    },
    RootFS: { Type: 'layers', Layers: image.layers.map((l) => l.diffId) },
    Metadata: { LastTagTime: image.pulledAt },
  };
}

// ---------------------------------------------------------------------------------------------
// history

export const history = defineCommand({
  args: {
    format: { type: 'string', description: formatHelp },
    human: { type: 'boolean', alias: 'H', description: 'Print sizes and dates in human readable format', default: true },
    'no-trunc': { type: 'boolean', description: "Don't truncate output" },
    quiet: { type: 'boolean', alias: 'q', description: 'Only show image IDs' },
  },
  minArgs: 1,
  maxArgs: 1,
  async run(ctx) {
    const { stores } = open(ctx);
    const image = await stores.images.resolve(ctx.args[0]);
    const config = await readConfig(stores, image);
    type Entry = { created?: string; created_by?: string; comment?: string; empty_layer?: boolean };
    const entries: Entry[] = Array.isArray(config.history) && config.history.length > 0
      ? (config.history as Entry[])
      : image.layers.map(() => ({ created: image.created }));
    const sizes = await Promise.all(image.layers.map(async (l) => (await stores.layers.meta(l.chainId))?.size ?? 0));
    const noTrunc = ctx.flags['no-trunc'] === true;
    const human = ctx.flags.human !== false;
    let layer = 0;
    const rows = entries.map((e) => {
      const size = e.empty_layer ? 0 : sizes[layer++] ?? 0;
      return { e, size };
    }).reverse().map(({ e, size }, i) => ({
      ID: i === 0 ? (noTrunc ? image.id : shortId(image.id)) : '<missing>',
      CreatedSince: human ? createdSince(e.created) : (e.created ?? ''),
      CreatedAt: e.created ? new Date(e.created).toISOString().replace(/\.\d+Z$/, 'Z') : '',
      CreatedBy: noTrunc ? (e.created_by ?? '') : ellipsis((e.created_by ?? '').replace(/\t/g, ' '), 45),
      Size: human ? humanSize(size) : String(size),
      Comment: e.comment ?? '',
    }));
    process.stdout.write(formatList(rows, {
      format: ctx.flags.format as string | undefined,
      defaultFormat: 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}',
      headers: { ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT' },
      quiet: ctx.flags.quiet === true,
      quietFormat: '{{.ID}}',
    }));
  },
});

// ---------------------------------------------------------------------------------------------
// image prune

export async function confirm(question: string): Promise<boolean> {
  process.stdout.write(`${question} [y/N] `);
  if (!process.stdin.readable) return false;
  const rl = createInterface({ input: process.stdin });
  const answer: string = await new Promise((done) => {
    rl.once('line', done);
    rl.once('close', () => done(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

export const prune = defineCommand({
  args: {
    all: { type: 'boolean', alias: 'a', description: 'Remove all unused images, not just dangling ones' },
    filter: { type: 'string', valueHint: 'filter', description: 'Provide filter values (e.g. "until=<timestamp>")' },
    force: { type: 'boolean', alias: 'f', description: 'Do not prompt for confirmation' },
  },
  maxArgs: 0,
  async run(ctx) {
    const { paths, stores } = open(ctx);
    // Bad filters fail before the prompt, as Docker's do: "Invalid filter 'x'".
    const filter = pruneFilter(ctx.flags.filter as string[], Date.now(), ['dangling']);
    // dangling=false is -a; dangling=true the default.
    const dangling = filter.filters.get('dangling')?.at(-1)?.toLowerCase();
    if (dangling !== undefined && !['true', 'false', '1', '0'].includes(dangling)) throw new SkiffError(`Invalid filter 'dangling=${dangling}'`, ExitCode.failure);
    const all = ctx.flags.all === true || dangling === 'false' || dangling === '0';
    const warning = all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!ctx.flags.force && !(await confirm(`${warning}\nAre you sure you want to continue?`))) return 0;
    const images = (await stores.images.list()).filter((i) => all || i.repoTags.length === 0);
    const lines: string[] = [];
    for (const image of images) {
      if ((await containersUsing(paths, image.id)).length > 0) continue;
      if (!filter.matches(image.created, await imageLabels(stores, image))) continue;
      lines.push(...(await removeImage(stores, image.id, true, paths)));
    }
    const freed = await stores.gc();
    if (lines.length > 0) process.stdout.write(`Deleted Images:\n${lines.map((l) => l.replace(/^Deleted: /, 'deleted: ').replace(/^Untagged: /, 'untagged: ')).join('\n')}\n\n`);
    process.stdout.write(`Total reclaimed space: ${humanSize(freed.bytes)}\n`);
  },
});

