// The functions a template can call: Go's builtins and the ones Docker's CLI adds (json, join, pad, ...).
import { goJSON, printValue, sprint, sprintf, sprintln } from './gofmt';
import { byteLength, compareCodePoints, isNil, isStringMap, isTrue, kindOf, mapKeys, numberOf, typeName } from './values';

/**
 * The Go parameter types the engine checks arguments against: `value` is reflect.Value (anything,
 * even a missing value), `any` is interface{} (a missing value becomes nil), `strings` is []string.
 */
export type ParamType = 'value' | 'any' | 'string' | 'int' | 'strings';

export interface TemplateFunction {
  params: ParamType[];
  /** The type of the trailing ...args, for variadic functions. */
  variadic?: ParamType;
  /** Returns the result; a thrown Error becomes "error calling NAME: message". */
  call: (...args: any[]) => unknown;
}

export const goTypeOfParam: Record<ParamType, string> = {
  value: 'reflect.Value',
  any: 'interface {}',
  string: 'string',
  int: 'int',
  strings: '[]string',
};

const basic = new Set(['bool', 'int', 'float', 'string']);

/** Go's eq: true when arg1 equals any of the others; basic kinds must match. */
function eq(arg1: unknown, ...others: unknown[]): boolean {
  if (others.length === 0) throw new Error('missing argument for comparison');
  const k1 = kindOf(arg1);
  for (const arg of others) {
    const k2 = kindOf(arg);
    let truth: boolean;
    if (basic.has(k1) || basic.has(k2)) {
      if (k1 !== k2) {
        // A nil or missing operand is simply unequal; two real values of different kinds are an error.
        if (isNil(arg1) || isNil(arg)) truth = false;
        else throw new Error('incompatible types for comparison');
      } else truth = k1 === 'int' || k1 === 'float' ? numberOf(arg1) === numberOf(arg) : arg1 === arg;
    } else if (isNil(arg1) || isNil(arg)) {
      truth = isNil(arg1) === isNil(arg);
    } else {
      throw new Error(`non-comparable type ${printValue(arg)}: ${typeName(arg)}`);
    }
    if (truth) return true;
  }
  return false;
}

/** Go's lt: only ints, floats and strings order, and only against their own kind. */
function lt(arg1: unknown, arg2: unknown): boolean {
  const k1 = kindOf(arg1);
  const k2 = kindOf(arg2);
  if (!basic.has(k1) || !basic.has(k2)) throw new Error('invalid type for comparison');
  if (k1 !== k2) throw new Error('incompatible types for comparison');
  if (k1 === 'bool') throw new Error('invalid type for comparison');
  if (k1 === 'string') return compareCodePoints(arg1 as string, arg2 as string) < 0;
  return numberOf(arg1) < numberOf(arg2);
}

function length(item: unknown): number {
  switch (kindOf(item)) {
    case 'string':
      return byteLength(item as string);
    case 'slice':
      return (item as unknown[]).length;
    case 'map':
      return mapKeys(item as object).length;
    case 'nil':
      // A nil slice or map: Docker's `len .HostConfig.Binds` is 0.
      return 0;
    case 'invalid':
      throw new Error('reflect: call of reflect.Value.Type on zero Value');
    default:
      throw new Error(`len of type ${typeName(item)}`);
  }
}

/** An index argument for a slice or string, checked as Go's indexArg does. */
function indexArg(index: unknown, cap: number): number {
  const kind = kindOf(index);
  if (kind === 'invalid') throw new Error('cannot index slice/array with nil');
  if (kind !== 'int') throw new Error(`cannot index slice/array with type ${typeName(index)}`);
  const x = Number(index);
  if (x < 0 || x > cap) throw new Error(`index out of range: ${x}`);
  return x;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined) throw new Error('index of untyped nil');
  for (const key of indexes) {
    switch (kindOf(item)) {
      case 'slice':
      case 'string': {
        const isString = typeof item === 'string';
        const bytes = isString ? Buffer.from(item as string, 'utf8') : undefined;
        const size = bytes ? bytes.length : (item as unknown[]).length;
        const x = indexArg(key, size);
        if (x === size) throw new Error(isString ? 'reflect: string index out of range' : 'reflect: slice index out of range');
        item = bytes ? bytes[x] : (item as unknown[])[x];
        break;
      }
      case 'map':
      case 'nil': {
        if (kindOf(key) !== 'string') {
          if (key === undefined || key === null) throw new Error('value is nil; should be of type string');
          // A nil slice indexed by number is out of range, as Go's typed nil []string would be.
          if (item === null && kindOf(key) === 'int') throw new Error(`index out of range: ${Number(key)}`);
          throw new Error(`value has type ${typeName(key)}; should be string`);
        }
        const map = item as Record<string, unknown> | null;
        const found = map && Object.prototype.hasOwnProperty.call(map, key as string) ? map[key as string] : undefined;
        // A missing key yields the element type's zero value: "" in a map of strings (labels, options).
        item = found !== undefined && typeof found !== 'function' ? found : !map || isStringMap(map) ? '' : null;
        break;
      }
      default:
        throw new Error(`can't index item of type ${typeName(item)}`);
    }
  }
  return item;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  if (item === undefined) throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  const kind = kindOf(item);
  let size: number;
  if (kind === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    size = byteLength(item as string);
  } else if (kind === 'slice') size = (item as unknown[]).length;
  else if (kind === 'nil') size = 0;
  else throw new Error(`can't slice item of type ${typeName(item)}`);
  const idx = [0, size, size];
  indexes.forEach((key, i) => (idx[i] = indexArg(key, size)));
  if (idx[0] > idx[1]) throw new Error(`invalid slice index: ${idx[0]} > ${idx[1]}`);
  if (indexes.length === 3 && idx[1] > idx[2]) throw new Error(`invalid slice index: ${idx[1]} > ${idx[2]}`);
  if (kind === 'string') return Buffer.from(item as string, 'utf8').subarray(idx[0], idx[1]).toString('utf8');
  return ((item as unknown[] | null) ?? []).slice(idx[0], idx[1]);
}

/** The text html, js and urlquery escape: one string as is, else fmt.Sprint of all. */
const escapeArgs = (args: unknown[]) => (args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args));

function htmlEscape(text: string): string {
  const entities: Record<string, string> = { '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;', '\0': '\ufffd' };
  return text.replace(/["'&<>\0]/g, (ch) => entities[ch]);
}

function jsEscape(text: string): string {
  const named: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D' };
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (named[ch]) out += named[ch];
    else if (code < 0x20) out += `\\u00${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (code >= 0x80 && !/^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) out += `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

function queryEscape(text: string): string {
  return Array.from(Buffer.from(text, 'utf8'), (byte) => {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(ch)) return ch;
    if (ch === ' ') return '+';
    return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}

/** Go maps case rune by rune; where Unicode's full mapping changes the length (ß → SS), Go keeps the rune. */
function mapCase(text: string, upper: boolean): string {
  let out = '';
  for (const ch of text) {
    const mapped = upper ? ch.toUpperCase() : ch.toLowerCase();
    if (Array.from(mapped).length === 1) out += mapped;
    else out += !upper && ch === '\u0130' ? 'i' : ch;
  }
  return out;
}

/** unicode.ToTitle: the upper case, except the digraphs that have a title form of their own (ǅ). */
function toTitle(ch: string): string {
  const code = ch.codePointAt(0)!;
  for (const first of [0x1c4, 0x1c7, 0x1ca, 0x1f1]) {
    if (code >= first && code <= first + 2) return String.fromCodePoint(first + 1);
  }
  return mapCase(ch, true);
}

/** strings.Title: upper-cases the first letter of each word; letters, digits and _ make words. */
function title(text: string): string {
  let previous = ' ';
  let out = '';
  for (const ch of text) {
    const separator = /^[\p{L}\p{Nd}_]$/u.test(previous) ? false : previous.codePointAt(0)! < 0x80 || /^\s$/u.test(previous) ? true : false;
    out += separator ? toTitle(ch) : ch;
    previous = ch;
  }
  return out;
}

/** Docker's truncate counts bytes, as Go slices strings. */
function truncate(text: string, size: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (size < 0) throw new Error(`runtime error: slice bounds out of range [:${size}]`);
  if (bytes.length < size) return text;
  return bytes.subarray(0, size).toString('utf8');
}

function pad(text: string, prefix: number, suffix: number): string {
  if (text === '') return text;
  if (prefix < 0 || suffix < 0) throw new Error('strings: negative Repeat count');
  return ' '.repeat(prefix) + text + ' '.repeat(suffix);
}

const fn = (params: ParamType[], call: TemplateFunction['call'], variadic?: ParamType): TemplateFunction => ({ params, call, variadic });

/** Go's builtins and Docker's functions, the set every --format template gets. */
export const templateFunctions: Record<string, TemplateFunction> = {
  // and/or are evaluated lazily by the engine; these bodies serve only their signatures.
  and: fn(['value'], (...args: unknown[]) => args.find((arg) => !isTrue(arg)) ?? args[args.length - 1], 'value'),
  or: fn(['value'], (...args: unknown[]) => args.find((arg) => isTrue(arg)) ?? args[args.length - 1], 'value'),
  not: fn(['value'], (arg: unknown) => !isTrue(arg)),
  len: fn(['value'], length),
  index: fn(['value'], index, 'value'),
  slice: fn(['value'], slice, 'value'),
  print: fn([], (...args: unknown[]) => sprint(args), 'any'),
  printf: fn(['string'], (format: string, ...args: unknown[]) => sprintf(format, args), 'any'),
  println: fn([], (...args: unknown[]) => sprintln(args), 'any'),
  eq: fn(['value'], eq, 'value'),
  ne: fn(['value', 'value'], (a: unknown, b: unknown) => !eq(a, b)),
  lt: fn(['value', 'value'], lt),
  le: fn(['value', 'value'], (a: unknown, b: unknown) => lt(a, b) || eq(a, b)),
  gt: fn(['value', 'value'], (a: unknown, b: unknown) => !(lt(a, b) || eq(a, b))),
  ge: fn(['value', 'value'], (a: unknown, b: unknown) => !lt(a, b)),
  html: fn([], (...args: unknown[]) => htmlEscape(escapeArgs(args)), 'any'),
  js: fn([], (...args: unknown[]) => jsEscape(escapeArgs(args)), 'any'),
  urlquery: fn([], (...args: unknown[]) => queryEscape(escapeArgs(args)), 'any'),
  call: fn(['value'], (target: unknown, ...args: unknown[]) => {
    if (typeof target !== 'function') throw new Error(`non-function of type ${typeName(target)}`);
    return target(...args);
  }, 'value'),

  // Docker's additions (docker/cli templates.basicFunctions).
  json: fn(['any'], (value: unknown) => goJSON(value).trim()),
  split: fn(['string', 'string'], (text: string, sep: string) => (sep === '' ? Array.from(text) : text.split(sep))),
  join: fn(['strings', 'string'], (elements: string[] | null, sep: string) => (elements ?? []).join(sep)),
  title: fn(['string'], title),
  lower: fn(['string'], (text: string) => mapCase(text, false)),
  upper: fn(['string'], (text: string) => mapCase(text, true)),
  pad: fn(['string', 'int', 'int'], pad),
  truncate: fn(['string', 'int'], truncate),
};

/**
 * Docker's HeaderFunctions: for a table's header row the template runs on the column names, and
 * these leave a name as it is ({{upper .Names}} heads its column NAMES, not a transformed name).
 */
export const headerFunctions: Record<string, TemplateFunction> = {
  ...templateFunctions,
  json: fn(['string'], (text: string) => text),
  split: fn(['string', 'string'], (text: string) => text),
  join: fn(['string', 'string'], (text: string) => text),
  title: fn(['string'], (text: string) => text),
  lower: fn(['string'], (text: string) => text),
  upper: fn(['string'], (text: string) => text),
  truncate: fn(['string', 'int'], (text: string) => text),
};
