// Parses a command line as Docker's CLI (cobra + pflag) does, from citty-style flag definitions.
//
// citty's own parser is node:util's parseArgs, which lacks what Docker users type every
// day: repeated flags collected into lists (-e A -e B), values glued to short flags (-p80),
// combined short flags (-it), and commands that stop reading flags at the first positional
// argument (run IMAGE ls -l). So the definitions are citty's, the parsing is pflag's.
import type { ArgsDef } from 'citty';
import { UsageError } from '../errors';

/**
 * Docker's value type names, shown in help as `--env list`. These are repeatable: every
 * occurrence adds to an array. Every other string-valued flag keeps its last value.
 */
const repeatableHints = new Set(['list', 'filter', 'ulimit', 'mount', 'stringArray', 'map']);
const integerHints = new Set(['int', 'uint', 'int64']);

export type FlagValue = string | boolean | number | string[];
export type Flags = Record<string, FlagValue | undefined>;

export interface ParsedArgv {
  flags: Flags;
  positionals: string[];
  /** Set when --help/-h appeared before the end of flag parsing. */
  help: boolean;
}

export interface ParseOptions {
  /** false for commands such as run and exec: flags after the first positional belong to it. */
  interspersed?: boolean;
}

interface FlagSpec {
  name: string;
  kind: 'boolean' | 'string' | 'list' | 'int';
}

export function isRepeatable(def: ArgsDef[string]): boolean {
  return def.type === 'string' && repeatableHints.has(def.valueHint ?? '');
}

function specOf(name: string, def: ArgsDef[string]): FlagSpec {
  if (def.type === 'boolean') return { name, kind: 'boolean' };
  if (isRepeatable(def)) return { name, kind: 'list' };
  if (integerHints.has(def.valueHint ?? '')) return { name, kind: 'int' };
  return { name, kind: 'string' };
}

export function aliasesOf(def: ArgsDef[string]): string[] {
  if (def.type === 'positional' || !('alias' in def) || def.alias === undefined) return [];
  return Array.isArray(def.alias) ? def.alias : [def.alias];
}

/** Returns `-n, --last` as pflag names a flag in its errors. */
function displayName(spec: FlagSpec, defs: ArgsDef): string {
  const short = aliasesOf(defs[spec.name]).find((a) => a.length === 1);
  return short ? `-${short}, --${spec.name}` : `--${spec.name}`;
}

export function parseArgv(argv: readonly string[], defs: ArgsDef, options: ParseOptions = {}): ParsedArgv {
  const long = new Map<string, FlagSpec>();
  const short = new Map<string, FlagSpec>();
  const flags: Flags = {};
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === 'positional') continue;
    const spec = specOf(name, def);
    long.set(name, spec);
    for (const alias of aliasesOf(def)) (alias.length === 1 ? short : long).set(alias, spec);
    if (def.default !== undefined) flags[name] = spec.kind === 'int' ? Number(def.default) : def.default;
    else if (spec.kind === 'list') flags[name] = [];
  }

  const positionals: string[] = [];
  let help = false;
  const interspersed = options.interspersed ?? true;

  const assign = (spec: FlagSpec, value: string | true): void => {
    switch (spec.kind) {
      case 'boolean':
        if (value === true) flags[spec.name] = true;
        else if (/^(1|t|T|TRUE|true|True)$/.test(value)) flags[spec.name] = true;
        else if (/^(0|f|F|FALSE|false|False)$/.test(value)) flags[spec.name] = false;
        else throw new UsageError(`invalid argument "${value}" for "${displayName(spec, defs)}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
        return;
      case 'int': {
        const text = value as string;
        if (!/^[+-]?\d+$/.test(text)) {
          throw new UsageError(`invalid argument "${text}" for "${displayName(spec, defs)}" flag: strconv.ParseInt: parsing "${text}": invalid syntax`);
        }
        flags[spec.name] = Number.parseInt(text, 10);
        return;
      }
      case 'list':
        (flags[spec.name] as string[]).push(value as string);
        return;
      default:
        flags[spec.name] = value as string;
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (name === 'help') {
        help = true;
        continue;
      }
      const spec = long.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      if (eq !== -1) assign(spec, arg.slice(eq + 1));
      else if (spec.kind === 'boolean') assign(spec, true);
      else if (i + 1 < argv.length) assign(spec, argv[++i]);
      else throw new UsageError(`flag needs an argument: --${name}`);
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      // A cluster of short flags: -it, -p80, -p=80, -n 3.
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j];
        if (letter === 'h' && !short.has('h')) {
          help = true;
          continue;
        }
        const spec = short.get(letter);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${letter}' in ${arg}`);
        if (spec.kind === 'boolean') {
          if (arg[j + 1] === '=') {
            assign(spec, arg.slice(j + 2));
            break;
          }
          assign(spec, true);
          continue;
        }
        const rest = arg.slice(j + 1);
        if (rest.length > 0) assign(spec, rest.startsWith('=') ? rest.slice(1) : rest);
        else if (i + 1 < argv.length) assign(spec, argv[++i]);
        else throw new UsageError(`flag needs an argument: '${letter}' in ${arg}`);
        break;
      }
      continue;
    }
    positionals.push(arg);
    if (!interspersed) {
      positionals.push(...argv.slice(i + 1));
      break;
    }
  }
  return { flags, positionals, help };
}
