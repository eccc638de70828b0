// The shape of a skiff command, and Docker's help and usage-error layout for it.
import type { ArgsDef, Resolvable } from 'citty';
import { ExitCode, SkiffError, UsageError } from '../errors';
import type { PathOverrides } from '../paths';
import { aliasesOf, type Flags } from './argv';
import type { StorageOptions } from '../runtime/storage-opts';

export interface GlobalOptions extends PathOverrides {
  debug: boolean;
  logLevel: string;
  /** --storage-opt, as Podman's global flag (overlay.mount_program=PATH), checked and parsed. */
  storage?: StorageOptions;
}

export interface CommandContext {
  /** Positional arguments, after flags were taken out (everything after the first one for run/exec). */
  args: string[];
  flags: Flags;
  globals: GlobalOptions;
  /** The words the user typed to reach this command, e.g. ["container", "ls"] or ["ps"]. */
  path: string[];
}

/** What a command file exports for one command: its flags and what it does. */
export interface CommandImpl {
  args?: ArgsDef;
  /** false: flags end at the first positional (docker run IMAGE ls -l). */
  interspersed?: boolean;
  minArgs?: number;
  maxArgs?: number;
  /** Returns the exit code; undefined means 0. */
  run(ctx: CommandContext): Promise<number | void>;
}

export function defineCommand(impl: CommandImpl): CommandImpl {
  return impl;
}

/** A node of the command tree: cheap metadata, with the implementation loaded on demand. */
export interface CommandNode {
  name: string;
  /** Docker's usage line after the command path, e.g. "[OPTIONS] CONTAINER [CONTAINER...]". */
  usage: string;
  description: string;
  aliases?: string[];
  hidden?: boolean;
  /** Help sections of the top-level command list. */
  category?: 'common' | 'management' | 'skiff';
  subCommands?: CommandNode[];
  /** Resolves to undefined while the command is not implemented yet. */
  load?: Resolvable<CommandImpl | undefined>;
  /** Where a missing implementation will come from, for the "not implemented" error. */
  plannedFor?: string;
  /** Other full paths that reach this same command (docker ps, docker container ps...). */
  aliasPaths?: string[];
}

export async function resolveImpl(node: CommandNode): Promise<CommandImpl | undefined> {
  const load = node.load;
  if (load === undefined) return undefined;
  return typeof load === 'function' ? await load() : await load;
}

export function findChild(node: CommandNode, word: string): CommandNode | undefined {
  return node.subCommands?.find((c) => c.name === word || c.aliases?.includes(word));
}

const wrapColumns = 78; // what docker 28 gives pflag off a terminal (fitted to its --help output)
const wrapSlop = 5;

/** Docker's `Usage:` line for a command reached through `path`. */
export function usageLine(path: string[], node: CommandNode): string {
  const head = ['skiff', ...path].join(' ');
  if (node.subCommands && !node.load) return `Usage:  ${head} ${path.length === 0 ? '[OPTIONS] COMMAND' : 'COMMAND'}`;
  return `Usage:  ${head}${node.usage ? ` ${node.usage}` : ''}`;
}

/** The help text Docker prints for `--help`, on stdout. */
export function renderHelp(path: string[], node: CommandNode, impl: CommandImpl | undefined, globalArgs?: ArgsDef): string {
  const out: string[] = [usageLine(path, node), '', node.description];
  if (node.aliasPaths && node.aliasPaths.length > 1) {
    out.push('', 'Aliases:', `  ${node.aliasPaths.map((p) => `skiff ${p}`).join(', ')}`);
  }
  const children = node.subCommands?.filter((c) => !c.hidden) ?? [];
  if (children.length > 0) {
    const pad = Math.max(11, ...children.map((c) => c.name.length)) + 1;
    const section = (title: string, list: CommandNode[]): void => {
      if (list.length === 0) return;
      out.push('', `${title}:`);
      for (const c of list) out.push(`  ${c.name.padEnd(pad)}${c.description}`);
    };
    if (path.length === 0) {
      section('Common Commands', children.filter((c) => c.category === 'common'));
      section('Management Commands', children.filter((c) => c.category === 'management'));
      section('skiff Commands', children.filter((c) => c.category === 'skiff'));
      section('Commands', children.filter((c) => !c.category));
    } else {
      section('Commands', children);
    }
  }
  const args = impl?.args ?? {};
  if (Object.keys(args).length > 0) out.push('', 'Options:', renderFlags(args));
  if (globalArgs) out.push('', 'Global Options:', renderFlags(globalArgs));
  if (children.length > 0) {
    out.push('', `Run 'skiff ${[...path, 'COMMAND'].join(' ')} --help' for more information on a command.`);
  }
  if (!impl && !node.subCommands) {
    out.push('', `Not implemented yet in this version of skiff${node.plannedFor ? ` (planned: ${node.plannedFor})` : ''}.`);
  }
  return `${out.join('\n')}\n`;
}

/** pflag's option table: names padded to one column, descriptions wrapped at 80 columns. */
export function renderFlags(args: ArgsDef): string {
  const rows: Array<[string, string]> = [];
  for (const [name, def] of Object.entries(args)) {
    if (def.type === 'positional') continue;
    const short = aliasesOf(def).find((a) => a.length === 1);
    const type = def.type === 'boolean' ? '' : ` ${def.valueHint ?? 'string'}`;
    const left = `  ${short ? `-${short}, ` : '    '}--${name}${type}`;
    let text = def.description ?? '';
    if (def.default !== undefined && def.default !== false && def.default !== '') {
      text += typeof def.default === 'string' && def.valueHint !== 'int' ? ` (default "${def.default}")` : ` (default ${def.default})`;
    }
    rows.push([left, text]);
  }
  // pflag's layout: usage text starts 3 columns after the longest name, and is wrapped to
  // wrapColumns minus a slop of 5 that lets a short last word stay on its line.
  const longest = Math.max(...rows.map(([left]) => left.length));
  const indent = ' '.repeat(longest + 3);
  const width = wrapColumns - (longest + 2) - wrapSlop;
  return rows.map(([left, text]) => `${left.padEnd(longest + 3)}${wrap(text, width).join(`\n${indent}`)}`).join('\n');
}

/** pflag's wrapN, line by line: no wrap when the rest fits in width + slop, else break at the last space before width. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (let rest of text.split('\n')) {
    while (rest.length >= width + wrapSlop) {
      let cut = rest.slice(0, width).lastIndexOf(' ');
      if (cut <= 0) cut = rest.indexOf(' ');
      if (cut <= 0) break;
      lines.push(rest.slice(0, cut));
      rest = rest.slice(cut + 1);
    }
    lines.push(rest);
  }
  return lines;
}

/** Docker's argument-count errors: exit 1 with the usage line (checked against docker 28). */
export function checkArgCount(path: string[], impl: CommandImpl, count: number): void {
  const { minArgs = 0, maxArgs = Number.POSITIVE_INFINITY } = impl;
  const cmd = `'skiff ${path.join(' ')}'`;
  const plural = (n: number): string => `${n} argument${n === 1 ? '' : 's'}`;
  let problem: string | undefined;
  if (minArgs === maxArgs && count !== minArgs) problem = minArgs === 0 ? `${cmd} accepts no arguments` : `${cmd} requires exactly ${plural(minArgs)}`;
  else if (count < minArgs) problem = `${cmd} requires at least ${plural(minArgs)}`;
  else if (count > maxArgs) problem = `${cmd} requires at most ${plural(maxArgs)}`;
  if (problem) throw new ArgCountError(problem);
}

export class ArgCountError extends SkiffError {
  constructor(message: string) {
    super(message, ExitCode.failure);
  }
}

/** The text printed after a usage error, as Docker's CLI does. */
export function usageErrorText(err: UsageError | ArgCountError, path: string[], node: CommandNode): string {
  const head = `skiff${path.length ? ` ${path.join(' ')}` : ''}`;
  if (err instanceof ArgCountError) {
    return `skiff: ${err.message}\n\n${usageLine(path, node)}\n\nSee '${head} --help' for more information\n`;
  }
  return `${err.message}\n\n${usageLine(path, node)}\n\nRun '${head} --help' for more information\n`;
}
