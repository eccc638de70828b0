// Go's fmt and encoding/json as templates show them: Sprint, Sprintln, Sprintf verbs and JSON text.
import { kindOf, mapKeys, nilMap, nilSlice, numberOf, typeName } from './values';

/** The flags, width and precision of one Sprintf verb. */
interface Spec {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  /** %+v and %#v: Go moves + and # here so that nested values print the same way. */
  plusV: boolean;
  sharpV: boolean;
  width?: number;
  prec?: number;
}

const plainSpec = (): Spec => ({ plus: false, minus: false, sharp: false, space: false, zero: false, plusV: false, sharpV: false });

/** fmt.Sprint: operands printed with %v, a space between two operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  let prevString = false;
  args.forEach((arg, i) => {
    const isString = typeof arg === 'string';
    if (i > 0 && !isString && !prevString) out += ' ';
    out += formatArg(arg, 'v', plainSpec());
    prevString = isString;
  });
  return out;
}

/** fmt.Sprintln: operands printed with %v, always separated by spaces, and a newline. */
export function sprintln(args: unknown[]): string {
  return `${args.map((arg) => formatArg(arg, 'v', plainSpec())).join(' ')}\n`;
}

/** How {{.}} prints a value: fmt.Print of one operand. */
export function printValue(value: unknown): string {
  return formatArg(value, 'v', plainSpec());
}

/** fmt.Sprintf, with Go's in-band errors: %!d(string=x), %!v(MISSING), %!(EXTRA int=1). */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argNum = 0;
  let reordered = false;
  let i = 0;
  const end = format.length;

  // Reads an explicit argument index such as [2] at i; Go's arguments are one-based there.
  const argIndex = (state: { good: boolean }): boolean => {
    if (format[i] !== '[') return false;
    reordered = true;
    const close = format.indexOf(']', i + 1);
    if (end - i < 3 || close < 0) {
      state.good = false;
      i++;
      return false;
    }
    const digits = format.slice(i + 1, close);
    i = close + 1;
    if (!/^[0-9]+$/.test(digits)) {
      state.good = false;
      return false;
    }
    const index = Number(digits) - 1;
    if (index >= 0 && index < args.length) argNum = index;
    else state.good = false;
    return true;
  };
  const number = (): number | undefined => {
    const start = i;
    while (i < end && format[i] >= '0' && format[i] <= '9') i++;
    return i > start ? Number(format.slice(start, i)) : undefined;
  };
  const intArg = (): number | undefined => {
    if (argNum >= args.length) return undefined;
    const arg = args[argNum++];
    return kindOf(arg) === 'int' && Math.abs(Number(arg)) <= 1e6 ? Number(arg) : undefined;
  };

  while (i < end) {
    const percent = format.indexOf('%', i);
    if (percent < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, percent);
    i = percent + 1;
    const spec = plainSpec();
    const state = { good: true };
    flags: for (; i < end; i++) {
      switch (format[i]) {
        case '#': spec.sharp = true; break;
        case '0': spec.zero = true; break;
        case '+': spec.plus = true; break;
        case '-': spec.minus = true; break;
        case ' ': spec.space = true; break;
        default: break flags;
      }
    }
    let afterIndex = argIndex(state);
    if (format[i] === '*') {
      i++;
      spec.width = intArg();
      if (spec.width === undefined) out += '%!(BADWIDTH)';
      else if (spec.width < 0) {
        spec.width = -spec.width;
        spec.minus = true;
      }
      afterIndex = false;
    } else {
      spec.width = number();
      if (afterIndex && spec.width !== undefined) state.good = false;
    }
    if (i + 1 < end && format[i] === '.') {
      i++;
      if (afterIndex) state.good = false;
      afterIndex = argIndex(state);
      if (format[i] === '*') {
        i++;
        spec.prec = intArg();
        if (spec.prec !== undefined && spec.prec < 0) spec.prec = undefined;
        if (spec.prec === undefined) out += '%!(BADPREC)';
        afterIndex = false;
      } else {
        spec.prec = number() ?? 0;
      }
    }
    if (!afterIndex) afterIndex = argIndex(state);
    if (i >= end) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
    } else if (!state.good) {
      out += `%!${verb}(BADINDEX)`;
    } else if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
    } else {
      if (verb === 'v') {
        spec.sharpV = spec.sharp;
        spec.sharp = false;
        spec.plusV = spec.plus;
        spec.plus = false;
      }
      out += formatArg(args[argNum++], verb, spec);
    }
  }
  if (!reordered && argNum < args.length) {
    const extra = args.slice(argNum).map((arg) => (arg === null || arg === undefined ? '<nil>' : `${typeName(arg)}=${formatArg(arg, 'v', plainSpec())}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}

/** One operand under one verb; slices and maps apply the verb to each element, as Go does. */
function formatArg(value: unknown, verb: string, spec: Spec, depth = 0): string {
  const kind = kindOf(value);
  if (verb === 'T') return pad(kind === 'invalid' || kind === 'nil' ? '<nil>' : typeName(value), spec);
  switch (kind) {
    case 'invalid':
    case 'nil':
      // A nil element inside a slice or map prints <nil> whatever the verb.
      if (verb === 'v' || depth > 0) return pad('<nil>', spec);
      return `%!${verb}(<nil>)`;
    case 'bool':
      return verb === 't' || verb === 'v' ? pad(String(value), spec) : badVerb(value, verb, spec);
    case 'int':
      return formatInteger(value, verb, spec);
    case 'float':
      return formatFloat(numberOf(value), verb, spec) ?? badVerb(value, verb, spec);
    case 'string':
      return formatString(value as string, verb, spec) ?? badVerb(value, verb, spec);
    case 'slice': {
      const elements = (value as unknown[]).map((element) => formatArg(element, verb, spec, depth + 1));
      return spec.sharpV ? `${typeName(value)}{${elements.join(', ')}}` : `[${elements.join(' ')}]`;
    }
    case 'map': {
      const map = value as Record<string, unknown>;
      const entries = mapKeys(map).map((key) => `${formatArg(key, verb, spec, depth + 1)}:${formatArg(map[key], verb, spec, depth + 1)}`);
      return spec.sharpV ? `${typeName(value)}{${entries.join(', ')}}` : `map[${entries.join(' ')}]`;
    }
    case 'func':
      return pad('func', spec);
  }
}

function badVerb(value: unknown, verb: string, spec: Spec): string {
  return `%!${verb}(${typeName(value)}=${formatArg(value, 'v', spec)})`;
}

/** Pads to the width with spaces, or zeros to the left when the 0 flag asks; widths count runes. */
function pad(text: string, spec: Spec): string {
  if (spec.width === undefined) return text;
  const n = spec.width - runeCount(text);
  if (n <= 0) return text;
  return spec.minus ? text + ' '.repeat(n) : (spec.zero ? '0' : ' ').repeat(n) + text;
}

function runeCount(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

function formatInteger(value: unknown, verb: string, spec: Spec): string {
  const n = typeof value === 'bigint' ? value : BigInt(Number(value));
  switch (verb) {
    case 'v':
    case 'd':
      return integerDigits(n, 10, verb, spec);
    case 'b':
      return integerDigits(n, 2, verb, spec);
    case 'o':
    case 'O':
      return integerDigits(n, 8, verb, spec);
    case 'x':
    case 'X':
      return integerDigits(n, 16, verb, spec);
    case 'c':
      return pad(runeText(n), spec);
    case 'q':
      return pad(quote(runeText(n), "'", spec.plus), spec);
    case 'U': {
      let text = `U+${n.toString(16).toUpperCase().padStart(Math.max(4, spec.prec ?? 0), '0')}`;
      if (spec.sharp && n >= 0n && n <= 0x10ffffn && isPrint(Number(n))) text += ` '${runeText(n)}'`;
      return pad(text, { ...spec, zero: false });
    }
    default:
      return badVerb(value, verb, spec);
  }
}

function runeText(n: bigint): string {
  const code = Number(n);
  return code >= 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : '\ufffd';
}

function integerDigits(n: bigint, base: number, verb: string, spec: Spec): string {
  const negative = n < 0n;
  let digits = (negative ? -n : n).toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  if (spec.prec !== undefined) {
    // %.0d of zero prints nothing but its padding.
    if (spec.prec === 0 && n === 0n) return pad('', { ...spec, zero: false });
    digits = digits.padStart(spec.prec, '0');
  } else if (spec.zero && !spec.minus && spec.width !== undefined) {
    digits = digits.padStart(spec.width - (negative || spec.plus || spec.space ? 1 : 0), '0');
  }
  if (spec.sharp) {
    if (base === 2) digits = `0b${digits}`;
    else if (base === 8 && !digits.startsWith('0')) digits = `0${digits}`;
    else if (base === 16) digits = (verb === 'X' ? '0X' : '0x') + digits;
  }
  if (verb === 'O') digits = `0o${digits}`;
  const sign = negative ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  return pad(sign + digits, { ...spec, zero: false });
}

function formatFloat(x: number, verb: string, spec: Spec): string | undefined {
  let text: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      text = formatG(x, spec.prec ?? -1, verb === 'G');
      break;
    case 'e':
    case 'E':
      text = formatE(x, spec.prec ?? 6, verb === 'E');
      break;
    case 'f':
    case 'F':
      text = formatF(x, spec.prec ?? 6);
      break;
    case 'x':
    case 'X':
      text = formatHexFloat(x, spec.prec ?? -1, verb === 'X');
      break;
    default:
      return undefined;
  }
  let signed = text.startsWith('-') || text.startsWith('+') ? text : `+${text}`;
  if (spec.space && signed[0] === '+' && !spec.plus) signed = ` ${signed.slice(1)}`;
  if (/^.(Inf|NaN)/.test(signed)) {
    if (signed[1] === 'N' && !spec.space && !spec.plus) signed = signed.slice(1);
    return pad(signed, { ...spec, zero: false });
  }
  if (spec.plus || signed[0] !== '+') {
    if (spec.zero && !spec.minus && spec.width !== undefined && spec.width > signed.length) {
      return signed[0] + '0'.repeat(spec.width - signed.length) + signed.slice(1);
    }
    return pad(signed, spec);
  }
  return pad(signed.slice(1), spec);
}

/** The exact decimal digits of a finite double: value = 0.digits × 10^point. */
function exactDecimal(x: number): { digits: string; point: number } {
  if (x === 0) return { digits: '', point: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  let shift: number;
  if (exponent === 0) shift = -1074;
  else {
    mantissa |= 1n << 52n;
    shift = exponent - 1075;
  }
  let digits: string;
  let point: number;
  if (shift >= 0) {
    digits = (mantissa << BigInt(shift)).toString();
    point = digits.length;
  } else {
    // m / 2^k = m × 5^k / 10^k
    digits = (mantissa * 5n ** BigInt(-shift)).toString();
    point = digits.length + shift;
  }
  const trimmed = digits.replace(/0+$/, '');
  return { digits: trimmed, point };
}

/** The shortest digits that read back as x, which is what JS prints too. */
function shortestDecimal(x: number): { digits: string; point: number } {
  if (x === 0) return { digits: '', point: 0 };
  const [mantissa, exponent] = Math.abs(x).toExponential().split('e');
  const digits = mantissa.replace('.', '').replace(/0+$/, '');
  return { digits, point: Number(exponent) + 1 };
}

/** Rounds decimal digits to n digits, halfway cases to even, as strconv does on exact values. */
function roundDigits(d: { digits: string; point: number }, n: number): { digits: string; point: number } {
  if (n < 0) return { digits: '', point: d.point };
  if (n >= d.digits.length) return d;
  const next = d.digits.charCodeAt(n) - 48;
  // The digits are exact and carry no trailing zeros, so a 5 followed by anything is above half.
  const halfway = next === 5 && n + 1 === d.digits.length;
  const up = halfway ? n > 0 && (d.digits.charCodeAt(n - 1) - 48) % 2 === 1 : next >= 5;
  let kept = d.digits.slice(0, n);
  let point = d.point;
  if (up) {
    const bumped = (BigInt(kept || '0') + 1n).toString();
    if (bumped.length > kept.length) {
      point++;
      kept = bumped.slice(0, Math.max(n, 1));
    } else kept = bumped.padStart(kept.length, '0');
  }
  return { digits: kept.replace(/0+$/, ''), point };
}

function special(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return undefined;
}

const signOf = (x: number) => (x < 0 || Object.is(x, -0) ? '-' : '');

function formatE(x: number, prec: number, upper: boolean, shortest?: { digits: string; point: number }): string {
  const s = special(x);
  if (s) return s;
  const d = shortest ?? roundDigits(exactDecimal(x), prec + 1);
  const digits = d.digits.padEnd(prec + 1, '0') || '0';
  const exp = d.digits === '' ? 0 : d.point - 1;
  const mantissa = prec > 0 ? `${digits[0]}.${digits.slice(1, prec + 1)}` : digits[0];
  const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${signOf(x)}${mantissa}${upper ? 'E' : 'e'}${e}`;
}

function formatF(x: number, prec: number, shortest?: { digits: string; point: number }): string {
  const s = special(x);
  if (s) return s;
  const d = shortest ?? roundDigits(exactDecimal(x), exactDecimal(x).point + prec);
  let integer: string;
  let fraction: string;
  if (d.point > 0) {
    integer = d.digits.slice(0, d.point).padEnd(d.point, '0');
    fraction = d.digits.slice(d.point);
  } else {
    integer = '0';
    fraction = '0'.repeat(-d.point) + d.digits;
  }
  fraction = fraction.padEnd(prec, '0').slice(0, prec);
  return `${signOf(x)}${integer}${prec > 0 ? `.${fraction}` : ''}`;
}

/** %g and %v: %e for large and small exponents, else %f, with the fewest digits when prec < 0. */
function formatG(x: number, prec: number, upper: boolean): string {
  const s = special(x);
  if (s) return s;
  const shortest = prec < 0;
  let d: { digits: string; point: number };
  if (shortest) {
    d = shortestDecimal(x);
    prec = d.digits.length;
  } else {
    if (prec === 0) prec = 1;
    d = roundDigits(exactDecimal(x), prec);
  }
  let eprec = prec;
  if (eprec > d.digits.length && d.digits.length >= d.point) eprec = d.digits.length;
  if (shortest) eprec = 6;
  const exp = d.digits === '' ? 0 : d.point - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > d.digits.length) prec = d.digits.length;
    return formatE(x, Math.max(prec - 1, 0), upper, d);
  }
  if (prec > d.point) prec = d.digits.length;
  return formatF(x, Math.max(prec - d.point, 0), d);
}

/** %x on floats: 0x1.8p+01, the mantissa in hex. */
function formatHexFloat(x: number, prec: number, upper: boolean): string {
  const s = special(x);
  if (s) return s;
  let mantissa = 0n;
  let exp = 0;
  if (x !== 0) {
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, Math.abs(x));
    const bits = view.getBigUint64(0);
    const biased = Number((bits >> 52n) & 0x7ffn);
    mantissa = bits & 0xfffffffffffffn;
    exp = biased - 1023;
    if (biased === 0) {
      // Subnormal: shift until the leading 1 lands in the implicit bit.
      exp = -1022;
      while (!(mantissa & (1n << 52n))) {
        mantissa <<= 1n;
        exp--;
      }
      mantissa &= 0xfffffffffffffn;
    }
  }
  let lead = 1n;
  if (x === 0) lead = 0n;
  let hex = mantissa.toString(16).padStart(13, '0');
  if (prec >= 0 && prec < 13) {
    const dropped = BigInt(4 * (13 - prec));
    const whole = ((lead << 52n) | mantissa);
    const half = 1n << (dropped - 1n);
    let kept = whole >> dropped;
    const rest = whole & ((1n << dropped) - 1n);
    if (rest > half || (rest === half && (kept & 1n))) kept++;
    if (kept >> BigInt(4 * prec) > 1n) {
      kept >>= 1n;
      exp++;
    }
    lead = kept >> BigInt(4 * prec);
    hex = prec > 0 ? (kept & ((1n << BigInt(4 * prec)) - 1n)).toString(16).padStart(prec, '0') : '';
  } else {
    hex = hex.replace(/0+$/, '');
    if (prec > 13) hex = hex.padEnd(prec, '0');
  }
  const text = `${signOf(x)}0x${lead}${hex ? `.${hex}` : ''}p${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return upper ? text.toUpperCase() : text;
}

function formatString(text: string, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case 'v':
      if (spec.sharpV) return pad(quote(text, '"', false), spec);
      return pad(truncateRunes(text, spec.prec), spec);
    case 's':
      return pad(truncateRunes(text, spec.prec), spec);
    case 'q': {
      const limited = truncateRunes(text, spec.prec);
      if (spec.sharp && canBackquote(limited)) return pad(`\`${limited}\``, spec);
      return pad(quote(limited, '"', spec.plus), spec);
    }
    case 'x':
    case 'X':
      return hexBytes(text, verb === 'X', spec);
    default:
      return undefined;
  }
}

function truncateRunes(text: string, prec: number | undefined): string {
  if (prec === undefined) return text;
  return Array.from(text).slice(0, prec).join('');
}

function hexBytes(text: string, upper: boolean, spec: Spec): string {
  let bytes = Buffer.from(text, 'utf8');
  if (spec.prec !== undefined && spec.prec < bytes.length) bytes = bytes.subarray(0, spec.prec);
  const prefix = spec.sharp ? (upper ? '0X' : '0x') : '';
  let pairs = Array.from(bytes, (b) => b.toString(16).padStart(2, '0'));
  if (upper) pairs = pairs.map((pair) => pair.toUpperCase());
  const body = bytes.length === 0 ? '' : spec.space ? pairs.map((pair) => prefix + pair).join(' ') : prefix + pairs.join('');
  return pad(body, spec);
}

/** Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
function isPrint(code: number): boolean {
  if (code === 0x20) return true;
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(String.fromCodePoint(code));
}

/** strconv.Quote (or QuoteRune with a single quote), QuoteToASCII when asciiOnly. */
export function quote(text: string, mark: string, asciiOnly: boolean): string {
  let out = mark;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === mark || ch === '\\') {
      out += `\\${ch}`;
      continue;
    }
    if (code >= 0xd800 && code <= 0xdfff) {
      out += '\\ufffd';
      continue;
    }
    if (asciiOnly ? code < 0x80 && isPrint(code) : isPrint(code)) {
      out += ch;
      continue;
    }
    const escapes: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };
    if (escapes[ch]) out += escapes[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out + mark;
}

function canBackquote(text: string): boolean {
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '`' || code === 0xfeff || (code >= 0xd800 && code <= 0xdfff)) return false;
    if ((code < 0x20 && ch !== '\t') || code === 0x7f) return false;
  }
  return true;
}

/**
 * A value that encodes itself, as Go's json.Marshaler: the function returns the JSON text. Docker's
 * list contexts marshal themselves with json.Marshal (sorted keys, HTML escaped) this way.
 */
export const marshalJSON = Symbol('skiff.marshalJSON');

export interface JSONOptions {
  /** Go's json.Marshal escapes <, > and & for HTML; Docker's json template function does not. */
  escapeHTML?: boolean;
  /** json.MarshalIndent's indent; compact when absent. */
  indent?: string;
}

/** encoding/json's text for a value; throws Go's error for values JSON cannot hold (NaN, ±Inf). */
export function goJSON(value: unknown, options: JSONOptions = {}): string {
  return encode(value, options, '');
}

function encode(value: unknown, options: JSONOptions, prefix: string): string {
  if (value !== null && typeof value === 'object' && typeof (value as { [marshalJSON]?: unknown })[marshalJSON] === 'function') {
    return (value as { [marshalJSON]: () => string })[marshalJSON]();
  }
  if (value === nilSlice || value === nilMap) return 'null';
  const kind = kindOf(value);
  switch (kind) {
    case 'invalid':
    case 'nil':
    case 'func':
      return 'null';
    case 'bool':
      return String(value);
    case 'int':
      return typeof value === 'bigint' ? value.toString() : BigInt(value as number).toString();
    case 'float': {
      const x = numberOf(value);
      if (!Number.isFinite(x)) throw new Error(`json: unsupported value: ${formatG(x, -1, false)}`);
      // JS and Go agree: plain digits between 1e-6 and 1e21, exponent form outside; only -0 differs.
      return Object.is(x, -0) ? '-0' : JSON.stringify(x);
    }
    case 'string':
      return encodeString(value as string, options.escapeHTML ?? false);
    case 'slice': {
      const items = (value as unknown[]).map((item) => encode(item, options, prefix + (options.indent ?? '')));
      return wrap('[', ']', items, options, prefix);
    }
    case 'map': {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).filter((key) => record[key] !== undefined && typeof record[key] !== 'function');
      const separator = options.indent === undefined ? ':' : ': ';
      const items = keys.map((key) => encodeString(key, options.escapeHTML ?? false) + separator + encode(record[key], options, prefix + (options.indent ?? '')));
      return wrap('{', '}', items, options, prefix);
    }
  }
}

function wrap(open: string, close: string, items: string[], options: JSONOptions, prefix: string): string {
  if (items.length === 0) return open + close;
  if (options.indent === undefined) return open + items.join(',') + close;
  const inner = `\n${prefix}${options.indent}`;
  return `${open}${inner}${items.join(`,${inner}`)}\n${prefix}${close}`;
}

function encodeString(text: string, escapeHTML: boolean): string {
  // JSON.stringify escapes quotes, backslashes and control characters as Go does; Go also escapes
  // U+2028 and U+2029, turns lone surrogates (invalid UTF-8 to Go) into U+FFFD, and may escape HTML.
  const json = JSON.stringify(text);
  const pattern = escapeHTML ? /\\\\|\\u(d[89a-f][0-9a-f]{2})|[\u2028\u2029<>&]/g : /\\\\|\\u(d[89a-f][0-9a-f]{2})|[\u2028\u2029]/g;
  return json.replace(pattern, (match, surrogate?: string) => {
    if (match === '\\\\') return match;
    if (surrogate) return '\\ufffd';
    return `\\u${match.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
