// Go text/template's lexer and parser: template text to a tree of nodes, with Go's error messages.
import { sprintf, quote } from './gofmt';
import { GoFloat } from './values';

// ---- Nodes ----------------------------------------------------------------------------------

export interface ListNode { type: 'list'; pos: number; nodes: Node[] }
export interface TextNode { type: 'text'; pos: number; text: string }
export interface ActionNode { type: 'action'; pos: number; line: number; pipe: PipeNode }
export interface BranchNode { type: 'if' | 'range' | 'with'; pos: number; line: number; pipe: PipeNode; list: ListNode; elseList?: ListNode }
export interface TemplateNode { type: 'template'; pos: number; line: number; name: string; pipe?: PipeNode }
export interface LoopControlNode { type: 'break' | 'continue'; pos: number; line: number }
/** {{end}} and {{else}} only delimit lists while parsing; they never reach a tree. */
interface DelimiterNode { type: 'end' | 'else'; pos: number; line: number }

export type Node = ListNode | TextNode | ActionNode | BranchNode | TemplateNode | LoopControlNode;

export interface PipeNode { type: 'pipe'; pos: number; line: number; isAssign: boolean; decl: VariableNode[]; cmds: CommandNode[] }
export interface CommandNode { type: 'command'; pos: number; args: ArgNode[] }
export interface FieldNode { type: 'field'; pos: number; ident: string[] }
export interface VariableNode { type: 'variable'; pos: number; ident: string[] }
export interface ChainNode { type: 'chain'; pos: number; node: ArgNode; field: string[] }
export interface IdentifierNode { type: 'identifier'; pos: number; name: string }
export interface DotNode { type: 'dot'; pos: number }
export interface NilNode { type: 'nil'; pos: number }
export interface BoolNode { type: 'bool'; pos: number; value: boolean }
export interface StringNode { type: 'string'; pos: number; quoted: string; text: string }
/** A number constant with every reading of it Go allows: 2.0 is both an int and a float. */
export interface NumberNode { type: 'number'; pos: number; text: string; isInt: boolean; isUint: boolean; isFloat: boolean; int?: bigint; float?: number }

export type ArgNode = FieldNode | VariableNode | ChainNode | IdentifierNode | DotNode | NilNode | BoolNode | StringNode | NumberNode | PipeNode;

/** A parsed template: the main tree, the trees {{define}} and {{block}} named, and what errors need. */
export interface Tree {
  name: string;
  root: ListNode;
}

export interface ParsedSet {
  /** The name errors print, Docker's "" for --format. */
  parseName: string;
  text: string;
  trees: Map<string, Tree>;
}

/** Go's Node.String(): how nodes appear in "executing ... at <...>". */
export function nodeString(node: Node | ArgNode | CommandNode): string {
  switch (node.type) {
    case 'field':
      return `.${node.ident.join('.')}`;
    case 'variable':
      return node.ident.join('.');
    case 'chain': {
      const base = node.node.type === 'pipe' ? `(${nodeString(node.node)})` : nodeString(node.node);
      return `${base}.${node.field.join('.')}`;
    }
    case 'identifier':
      return node.name;
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(node.value);
    case 'string':
      return node.quoted;
    case 'number':
      return node.text;
    case 'command':
      return node.args.map((arg) => (arg.type === 'pipe' ? `(${nodeString(arg)})` : nodeString(arg))).join(' ');
    case 'pipe': {
      const decl = node.decl.length > 0 ? `${node.decl.map(nodeString).join(', ')} ${node.isAssign ? '=' : ':='} ` : '';
      return decl + node.cmds.map(nodeString).join(' | ');
    }
    case 'list':
      return node.nodes.map(nodeString).join('');
    case 'text':
      return node.text;
    case 'action':
      return `{{${nodeString(node.pipe)}}}`;
    case 'if':
    case 'range':
    case 'with': {
      const elsePart = node.elseList ? `{{else}}${nodeString(node.elseList)}` : '';
      return `{{${node.type} ${nodeString(node.pipe)}}}${nodeString(node.list)}${elsePart}{{end}}`;
    }
    case 'template':
      return node.pipe ? `{{template ${quote(node.name, '"', false)} ${nodeString(node.pipe)}}}` : `{{template ${quote(node.name, '"', false)}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
  }
}

// ---- Lexer ----------------------------------------------------------------------------------

type TokenType =
  | 'error' | 'bool' | 'char' | 'charConstant' | 'complex' | 'assign' | 'declare' | 'eof' | 'field' | 'identifier'
  | 'leftDelim' | 'leftParen' | 'number' | 'pipe' | 'rawString' | 'rightDelim' | 'rightParen' | 'space' | 'string'
  | 'text' | 'variable'
  // Keywords, which print as <name> in messages.
  | 'block' | 'break' | 'continue' | 'dot' | 'define' | 'else' | 'end' | 'if' | 'nil' | 'range' | 'template' | 'with';

interface Token { type: TokenType; pos: number; val: string; line: number }

const keywords = new Set<TokenType>(['block', 'break', 'continue', 'dot', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with']);
const keywordByWord = new Map<string, TokenType>(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'nil', 'range', 'template', 'with'].map((word) => [word, word as TokenType]));

/** Go's item.String(), used in "unexpected X in Y". */
function tokenString(token: Token): string {
  if (token.type === 'eof') return 'EOF';
  if (token.type === 'error') return token.val;
  if (keywords.has(token.type)) return `<${token.val}>`;
  if (Array.from(token.val).length > 10) return `${sprintf('%.10q', [token.val])}...`;
  return quote(token.val, '"', false);
}

const isSpace = (ch: string | undefined) => ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n';
const isAlphaNumeric = (ch: string | undefined) => ch !== undefined && /^[\p{L}\p{Nd}_]$/u.test(ch);
const hasLeftTrimMarker = (text: string, at: number) => text[at] === '-' && isSpace(text[at + 1]);
const hasRightTrimMarker = (text: string, at: number) => isSpace(text[at]) && text[at + 1] === '-';

/** Splits template text into tokens; stops at the first error, which becomes an error token. */
function lex(input: string): Token[] {
  const tokens: Token[] = [];
  const newlines: number[] = [];
  for (let i = input.indexOf('\n'); i >= 0; i = input.indexOf('\n', i + 1)) newlines.push(i);
  const lineAt = (pos: number) => {
    let lo = 0;
    let hi = newlines.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (newlines[mid] < pos) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };

  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  const emit = (type: TokenType, from = start, to = pos) => {
    tokens.push({ type, pos: from, val: input.slice(from, to), line: lineAt(from) });
    start = pos;
  };
  const fail = (message: string) => {
    tokens.push({ type: 'error', pos: start, val: message, line: lineAt(start) });
  };
  const peek = (): string | undefined => (pos < input.length ? String.fromCodePoint(input.codePointAt(pos)!) : undefined);
  const next = (): string | undefined => {
    const ch = peek();
    if (ch !== undefined) pos += ch.length;
    return ch;
  };
  const accept = (valid: string) => {
    const ch = peek();
    if (ch !== undefined && valid.includes(ch)) {
      pos += ch.length;
      return true;
    }
    return false;
  };
  const acceptRun = (valid: string) => {
    while (accept(valid));
  };
  const atRightDelim = (at: number): { delim: boolean; trim: boolean } => {
    if (hasRightTrimMarker(input, at) && input.startsWith('}}', at + 2)) return { delim: true, trim: true };
    return { delim: input.startsWith('}}', at), trim: false };
  };
  const atTerminator = () => {
    const ch = peek();
    if (ch === undefined || isSpace(ch)) return true;
    if ('.,|:)('.includes(ch)) return true;
    return input.startsWith('}}', pos);
  };
  const leftTrimLength = (at: number) => {
    let n = 0;
    while (isSpace(input[at + n])) n++;
    return n;
  };
  const codePoint = (ch: string | undefined) => sprintf('%#U', [ch === undefined ? -1 : ch.codePointAt(0)]);
  const scanNumber = (): boolean => {
    accept('+-');
    let digits = '0123456789_';
    if (accept('0')) {
      if (accept('xX')) digits = '0123456789abcdefABCDEF_';
      else if (accept('oO')) digits = '01234567_';
      else if (accept('bB')) digits = '01_';
    }
    acceptRun(digits);
    if (accept('.')) acceptRun(digits);
    if (digits.length === 11 && accept('eE')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    if (digits.length === 23 && accept('pP')) {
      accept('+-');
      acceptRun('0123456789_');
    }
    accept('i');
    if (isAlphaNumeric(peek())) {
      next();
      return false;
    }
    return true;
  };

  for (;;) {
    // Text up to the next action.
    const open = input.indexOf('{{', pos);
    if (open < 0) {
      pos = input.length;
      if (pos > start) emit('text');
      emit('eof');
      return tokens;
    }
    let textEnd = open;
    if (hasLeftTrimMarker(input, open + 2)) {
      while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
    }
    if (textEnd > start) emit('text', start, textEnd);
    pos = open + 2;
    const trimLeft = hasLeftTrimMarker(input, pos);
    const afterMarker = trimLeft ? 2 : 0;
    if (input.startsWith('/*', pos + afterMarker)) {
      pos += afterMarker;
      start = pos;
      const close = input.indexOf('*/', pos + 2);
      if (close < 0) {
        fail('unclosed comment');
        return tokens;
      }
      pos = close + 2;
      const { delim, trim } = atRightDelim(pos);
      if (!delim) {
        fail('comment ends before closing delimiter');
        return tokens;
      }
      pos += (trim ? 2 : 0) + 2;
      if (trim) pos += leftTrimLength(pos);
      start = pos;
      continue;
    }
    start = open;
    emit('leftDelim', open, open + 2);
    pos = open + 2 + afterMarker;
    start = pos;
    parenDepth = 0;

    // Inside the action.
    inside: for (;;) {
      const { delim, trim } = atRightDelim(pos);
      if (delim) {
        if (parenDepth !== 0) {
          fail('unclosed left paren');
          return tokens;
        }
        if (trim) pos += 2;
        start = pos;
        pos += 2;
        emit('rightDelim');
        if (trim) pos += leftTrimLength(pos);
        start = pos;
        break inside;
      }
      const ch = next();
      if (ch === undefined) {
        fail('unclosed action');
        return tokens;
      }
      if (isSpace(ch)) {
        let spaces = 1;
        while (isSpace(peek())) {
          next();
          spaces++;
        }
        // A trim-marked right delimiter starts with a space: leave that space to it.
        if (hasRightTrimMarker(input, pos - 1) && input.startsWith('}}', pos + 1)) {
          pos--;
          if (spaces === 1) continue;
        }
        emit('space');
        continue;
      }
      switch (ch) {
        case '=':
          emit('assign');
          continue;
        case ':':
          if (next() !== '=') {
            fail('expected :=');
            return tokens;
          }
          emit('declare');
          continue;
        case '|':
          emit('pipe');
          continue;
        case '"':
        case "'": {
          const what = ch === '"' ? 'quoted string' : 'character constant';
          for (;;) {
            const c = next();
            if (c === '\\') {
              const escaped = next();
              if (escaped !== undefined && escaped !== '\n') continue;
            }
            if (c === undefined || c === '\n' || c === '\\') {
              fail(`unterminated ${what}`);
              return tokens;
            }
            if (c === ch) break;
          }
          emit(ch === '"' ? 'string' : 'charConstant');
          continue;
        }
        case '`': {
          const close = input.indexOf('`', pos);
          if (close < 0) {
            fail('unterminated raw quoted string');
            return tokens;
          }
          pos = close + 1;
          emit('rawString');
          continue;
        }
        case '$':
        case '.': {
          if (ch === '.' && pos < input.length && input[pos] >= '0' && input[pos] <= '9') break;
          if (atTerminator()) {
            emit(ch === '$' ? 'variable' : 'dot');
            continue;
          }
          while (isAlphaNumeric(peek())) next();
          if (!atTerminator()) {
            fail(`bad character ${codePoint(peek())}`);
            return tokens;
          }
          emit(ch === '$' ? 'variable' : 'field');
          continue;
        }
        case '(':
          parenDepth++;
          emit('leftParen');
          continue;
        case ')':
          parenDepth--;
          if (parenDepth < 0) {
            fail('unexpected right paren');
            return tokens;
          }
          emit('rightParen');
          continue;
      }
      if (ch === '.' || ch === '+' || ch === '-' || (ch >= '0' && ch <= '9')) {
        pos = start;
        if (!scanNumber()) {
          fail(`bad number syntax: ${quote(input.slice(start, pos), '"', false)}`);
          return tokens;
        }
        const sign = peek();
        if (sign === '+' || sign === '-') {
          if (!scanNumber() || input[pos - 1] !== 'i') {
            fail(`bad number syntax: ${quote(input.slice(start, pos), '"', false)}`);
            return tokens;
          }
          emit('complex');
          continue;
        }
        emit('number');
        continue;
      }
      if (isAlphaNumeric(ch)) {
        while (isAlphaNumeric(peek())) next();
        const word = input.slice(start, pos);
        if (!atTerminator()) {
          fail(`bad character ${codePoint(peek())}`);
          return tokens;
        }
        const keyword = keywordByWord.get(word);
        emit(keyword ?? (word === 'true' || word === 'false' ? 'bool' : 'identifier'));
        continue;
      }
      const code = ch.codePointAt(0)!;
      if (code < 0x7f && code >= 0x20) {
        emit('char');
        continue;
      }
      fail(`unrecognized character in action: ${codePoint(ch)}`);
      return tokens;
    }
  }
}

// ---- Constants ------------------------------------------------------------------------------

/** strconv.Unquote for "..." and `...` strings, and UnquoteChar for '...' constants. */
function unquote(text: string): string {
  if (text.startsWith('`')) return text.slice(1, -1).replace(/\r/g, '');
  const bytes: number[] = [];
  const pushText = (s: string) => bytes.push(...Buffer.from(s, 'utf8'));
  const body = text.slice(1, -1);
  for (let i = 0; i < body.length; ) {
    const ch = String.fromCodePoint(body.codePointAt(i)!);
    if (ch !== '\\') {
      if (ch === text[0] || ch === '\n') throw new Error('invalid syntax');
      pushText(ch);
      i += ch.length;
      continue;
    }
    const { bytes: escaped, length } = unescape(body, i, text[0]);
    bytes.push(...escaped);
    i += length;
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}

/** One backslash escape at body[i]: its bytes and how many characters it spans. */
function unescape(body: string, i: number, mark: string): { bytes: number[]; length: number } {
  const c = body[i + 1];
  const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92 };
  if (c !== undefined && c in simple) return { bytes: [simple[c]], length: 2 };
  if (c === mark && (mark === '"' || mark === "'")) return { bytes: [c.charCodeAt(0)], length: 2 };
  const hex = (n: number) => {
    const digits = body.slice(i + 2, i + 2 + n);
    if (digits.length !== n || !/^[0-9a-fA-F]+$/.test(digits)) throw new Error('invalid syntax');
    return parseInt(digits, 16);
  };
  if (c === 'x') return { bytes: [hex(2)], length: 4 };
  if (c === 'u' || c === 'U') {
    const n = c === 'u' ? 4 : 8;
    const code = hex(n);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) throw new Error('invalid syntax');
    return { bytes: [...Buffer.from(String.fromCodePoint(code), 'utf8')], length: 2 + n };
  }
  if (c !== undefined && c >= '0' && c <= '7') {
    const digits = body.slice(i + 1, i + 4);
    if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) throw new Error('invalid syntax');
    return { bytes: [parseInt(digits, 8)], length: 4 };
  }
  throw new Error('invalid syntax');
}

const int64Max = (1n << 63n) - 1n;
const uint64Max = (1n << 64n) - 1n;

/** strconv.ParseInt(text, 0, 64) as a bigint, or undefined when it is no Go integer literal. */
function parseGoInteger(text: string): bigint | undefined {
  const match = /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|0(?:_?[0-7])*|[1-9](?:_?[0-9])*)$/.exec(text);
  if (!match) return undefined;
  const digits = match[2].replace(/_/g, '');
  let value: bigint;
  if (/^0[xXoObB]/.test(digits)) value = BigInt(`0${digits[1].toLowerCase()}${digits.slice(2)}`);
  else if (digits.length > 1 && digits.startsWith('0')) value = BigInt(`0o${digits.slice(1)}`);
  else value = BigInt(digits);
  return match[1] === '-' ? -value : value;
}

/** strconv.ParseFloat(text, 64), or undefined when it is no Go float literal. */
function parseGoFloat(text: string): number | undefined {
  const digits = '[0-9](?:_?[0-9])*';
  const decimal = new RegExp(`^[+-]?(?:${digits}(?:\\.(?:${digits})?)?|\\.${digits})(?:[eE][+-]?${digits})?$`);
  if (decimal.test(text)) return Number(text.replace(/_/g, ''));
  const hex = /^([+-]?)0[xX]([0-9a-fA-F_]*)\.?([0-9a-fA-F_]*)[pP]([+-]?[0-9_]+)$/.exec(text);
  if (hex && (hex[2] || hex[3])) {
    const whole = hex[2].replace(/_/g, '');
    const fraction = hex[3].replace(/_/g, '');
    const mantissa = parseInt(whole || '0', 16) + (fraction ? parseInt(fraction, 16) / 16 ** fraction.length : 0);
    const value = mantissa * 2 ** Number(hex[4].replace(/_/g, ''));
    return hex[1] === '-' ? -value : value;
  }
  return undefined;
}

function newNumber(pos: number, text: string, type: TokenType): NumberNode {
  const node: NumberNode = { type: 'number', pos, text, isInt: false, isUint: false, isFloat: false };
  if (type === 'charConstant') {
    // strconv.UnquoteChar on what follows the opening quote; exactly the closing quote must remain.
    const body = text.slice(1);
    let code: number;
    let rest: string;
    if (body[0] === "'") throw new Error('invalid syntax');
    if (body[0] === '\\') {
      const { bytes, length } = unescape(body, 0, "'");
      code = bytes.length === 1 ? bytes[0] : new TextDecoder().decode(Uint8Array.from(bytes)).codePointAt(0)!;
      rest = body.slice(length);
    } else {
      code = body.codePointAt(0)!;
      rest = body.slice(String.fromCodePoint(code).length);
    }
    if (rest !== "'") throw new Error(`malformed character constant: ${text}`);
    return { ...node, isInt: true, isUint: true, isFloat: true, int: BigInt(code), float: code };
  }
  if (type === 'complex' || text.endsWith('i')) throw new Error(`complex constants are not supported: ${quote(text, '"', false)}`);
  const integer = parseGoInteger(text);
  if (integer !== undefined) {
    if (integer >= -int64Max - 1n && integer <= int64Max) {
      node.isInt = true;
      node.int = integer;
    }
    if (integer >= 0n && integer <= uint64Max) node.isUint = true;
  }
  if (node.isInt || node.isUint) {
    node.isFloat = true;
    node.float = Number(integer);
    if (!node.isInt) node.int = integer;
  } else {
    const float = parseGoFloat(text);
    if (float !== undefined) {
      if (!/[.eEpP]/.test(text)) throw new Error(`integer overflow: ${quote(text, '"', false)}`);
      node.isFloat = true;
      node.float = float;
      if (Number.isInteger(float) && Math.abs(float) < 2 ** 63) {
        node.isInt = true;
        node.int = BigInt(float);
      }
      if (Number.isInteger(float) && float >= 0 && float < 2 ** 64) node.isUint = true;
    }
  }
  if (!node.isInt && !node.isUint && !node.isFloat) throw new Error(`illegal number syntax: ${quote(text, '"', false)}`);
  return node;
}

/**
 * The value a number constant has where nothing asks for a type: a float if it is written as one
 * (1.5, 1e6), else an int. Returns an error message for constants too big for an int.
 */
export function numberValue(node: NumberNode): number | bigint | GoFloat | { error: string } {
  const isHexInt = /^[+-]?0[xX]/.test(node.text) && !/[pP]/.test(node.text);
  const isRune = node.text.startsWith("'");
  if (node.isFloat && !isHexInt && !isRune && /[.eEpP]/.test(node.text)) {
    const x = node.float!;
    return Number.isInteger(x) ? new GoFloat(x) : x;
  }
  // Beyond 2^53 a JS number loses digits; a bigint keeps Go's int64 exact.
  if (node.isInt) return Number.isSafeInteger(Number(node.int)) ? Number(node.int) : node.int!;
  return { error: `${node.text} overflows int` };
}

// ---- Parser ---------------------------------------------------------------------------------

/** A parse failure, with Go's message ("template: :1: unclosed action"). */
export class ParseError extends Error {}

/**
 * Parses template text as Go's template.New(name).Parse(text) does, including {{define}} and
 * {{block}}, which add named trees beside the main one.
 */
export function parse(text: string, parseName: string): ParsedSet {
  const tokens = lex(text);
  const trees = new Map<string, Tree>();
  let index = 0;
  let furthest = 0;
  let vars: string[] = ['$'];
  let rangeDepth = 0;
  let actionLine = 0;

  const fetch = (): Token => {
    const token = tokens[Math.min(index, tokens.length - 1)];
    index++;
    furthest = Math.max(furthest, index - 1);
    return token;
  };
  const backup = (n = 1) => {
    index -= n;
  };
  const peek = (): Token => {
    const token = fetch();
    backup();
    return token;
  };
  const nextNonSpace = (): Token => {
    let token = fetch();
    while (token.type === 'space') token = fetch();
    return token;
  };
  const peekNonSpace = (): Token => {
    const token = nextNonSpace();
    backup();
    return token;
  };
  const errorf = (message: string): never => {
    const line = tokens[Math.min(furthest, tokens.length - 1)].line;
    throw new ParseError(`template: ${parseName}:${line}: ${message}`);
  };
  const unexpected = (token: Token, context: string): never => {
    if (token.type === 'error') {
      let extra = '';
      if (actionLine !== 0 && actionLine !== token.line) {
        extra = ` in action started at ${parseName}:${actionLine}`;
        if (token.val.endsWith(' action')) extra = extra.slice(' in action'.length);
      }
      return errorf(`${token.val}${extra}`);
    }
    return errorf(`unexpected ${tokenString(token)} in ${context}`);
  };
  const expect = (type: TokenType, context: string): Token => {
    const token = nextNonSpace();
    if (token.type !== type) unexpected(token, context);
    return token;
  };
  const constant = <T>(make: () => T): T => {
    try {
      return make();
    } catch (err) {
      return errorf((err as Error).message);
    }
  };

  /** Adds a named tree: a later empty definition does not replace an earlier one, two non-empty ones clash. */
  const add = (tree: Tree) => {
    const existing = trees.get(tree.name);
    if (!existing || isEmptyTree(existing.root)) {
      trees.set(tree.name, tree);
      return;
    }
    if (!isEmptyTree(tree.root)) errorf(`template: multiple definition of template ${quote(tree.name, '"', false)}`);
  };

  const itemList = (): { list: ListNode; next: DelimiterNode } => {
    const list: ListNode = { type: 'list', pos: peekNonSpace().pos, nodes: [] };
    while (peekNonSpace().type !== 'eof') {
      const node = textOrAction();
      if (node.type === 'end' || node.type === 'else') return { list, next: node };
      list.nodes.push(node as Node);
    }
    return errorf('unexpected EOF');
  };

  const textOrAction = (): Node | DelimiterNode => {
    const token = nextNonSpace();
    switch (token.type) {
      case 'text':
        return { type: 'text', pos: token.pos, text: token.val };
      case 'leftDelim': {
        actionLine = token.line;
        try {
          return action();
        } finally {
          actionLine = 0;
        }
      }
      default:
        return unexpected(token, 'input');
    }
  };

  const action = (): Node | DelimiterNode => {
    const token = nextNonSpace();
    switch (token.type) {
      case 'block':
        return blockControl();
      case 'break':
      case 'continue': {
        const close = nextNonSpace();
        if (close.type !== 'rightDelim') unexpected(close, `{{${token.type}}}`);
        if (rangeDepth === 0) errorf(`{{${token.type}}} outside {{range}}`);
        return { type: token.type, pos: token.pos, line: token.line };
      }
      case 'else': {
        // {{else if ...}} and {{else with ...}} leave the if/with for the enclosing control to parse.
        const after = peekNonSpace();
        if (after.type === 'if' || after.type === 'with') return { type: 'else', pos: after.pos, line: after.line };
        const close = expect('rightDelim', 'else');
        return { type: 'else', pos: close.pos, line: close.line };
      }
      case 'end':
        return { type: 'end', pos: expect('rightDelim', 'end').pos, line: token.line };
      case 'if':
      case 'range':
      case 'with':
        return control(token.type);
      case 'template':
        return templateControl();
    }
    backup();
    const first = peek();
    return { type: 'action', pos: first.pos, line: first.line, pipe: pipeline('command', 'rightDelim') };
  };

  const control = (context: 'if' | 'range' | 'with'): BranchNode => {
    const saved = vars.length;
    try {
      const pipe = pipeline(context, 'rightDelim');
      if (context === 'range') rangeDepth++;
      const { list, next } = itemList();
      if (context === 'range') rangeDepth--;
      let elseList: ListNode | undefined;
      if (next.type === 'else') {
        const following = peek();
        if ((context === 'if' && following.type === 'if') || (context === 'with' && following.type === 'with')) {
          // {{else if x}} is {{else}}{{if x}}...{{end}}: the inner control consumes the shared {{end}}.
          fetch();
          elseList = { type: 'list', pos: next.pos, nodes: [control(context)] };
        } else {
          const rest = itemList();
          if (rest.next.type !== 'end') errorf('expected end; found {{else}}');
          elseList = rest.list;
        }
      }
      return { type: context, pos: pipe.pos, line: pipe.line, pipe, list, elseList };
    } finally {
      vars = vars.slice(0, saved);
    }
  };

  const templateName = (token: Token, context: string): string => {
    if (token.type !== 'string' && token.type !== 'rawString') unexpected(token, context);
    return constant(() => unquote(token.val));
  };

  const templateControl = (): TemplateNode => {
    const token = nextNonSpace();
    const name = templateName(token, 'template clause');
    let pipe: PipeNode | undefined;
    if (nextNonSpace().type !== 'rightDelim') {
      backup();
      pipe = pipeline('template clause', 'rightDelim');
    }
    return { type: 'template', pos: token.pos, line: token.line, name, pipe };
  };

  const blockControl = (): TemplateNode => {
    const context = 'block clause';
    const token = nextNonSpace();
    const name = templateName(token, context);
    const pipe = pipeline(context, 'rightDelim');
    const outerVars = vars;
    const outerDepth = rangeDepth;
    vars = ['$'];
    rangeDepth = 0;
    const { list, next } = itemList();
    if (next.type !== 'end') errorf(`unexpected {{${next.type}}} in ${context}`);
    vars = outerVars;
    rangeDepth = outerDepth;
    add({ name, root: list });
    return { type: 'template', pos: token.pos, line: token.line, name, pipe };
  };

  const definition = () => {
    const context = 'define clause';
    const token = nextNonSpace();
    if (token.type !== 'string' && token.type !== 'rawString') unexpected(token, context);
    const name = constant(() => unquote(token.val));
    expect('rightDelim', context);
    const outerVars = vars;
    vars = ['$'];
    const { list, next } = itemList();
    if (next.type !== 'end') errorf(`unexpected {{${next.type}}} in ${context}`);
    vars = outerVars;
    add({ name, root: list });
  };

  const pipeline = (context: string, end: TokenType): PipeNode => {
    const first = peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: first.pos, line: first.line, isAssign: false, decl: [], cmds: [] };
    // Declarations: "$x :=", "$x =", and in range "$i, $e :=".
    decls: for (;;) {
      const mark = index;
      const variable = nextNonSpace();
      if (variable.type !== 'variable') {
        index = mark;
        break;
      }
      const following = peekNonSpace();
      if (following.type === 'assign' || following.type === 'declare') {
        pipe.isAssign = following.type === 'assign';
        nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: variable.pos, ident: [variable.val] });
        vars.push(variable.val);
        break;
      }
      if (following.type === 'char' && following.val === ',') {
        nextNonSpace();
        pipe.decl.push({ type: 'variable', pos: variable.pos, ident: [variable.val] });
        vars.push(variable.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const t = peekNonSpace().type;
          if (t === 'variable' || t === 'rightDelim' || t === 'rightParen') continue decls;
          errorf('range can only initialize variables');
        }
        errorf(`too many declarations in ${context}`);
      }
      // Not a declaration but an operand: put the variable back.
      index = mark;
      break;
    }
    for (;;) {
      const token = nextNonSpace();
      if (token.type === end) {
        if (pipe.cmds.length === 0) errorf(`missing value for ${context}`);
        pipe.cmds.slice(1).forEach((cmd, i) => {
          if (['bool', 'dot', 'nil', 'number', 'string'].includes(cmd.args[0].type)) errorf(`non executable command in pipeline stage ${i + 2}`);
        });
        return pipe;
      }
      switch (token.type) {
        case 'bool': case 'charConstant': case 'complex': case 'dot': case 'field': case 'identifier':
        case 'number': case 'nil': case 'rawString': case 'string': case 'variable': case 'leftParen':
          backup();
          pipe.cmds.push(command());
          break;
        default:
          unexpected(token, context);
      }
    }
  };

  const command = (): CommandNode => {
    const cmd: CommandNode = { type: 'command', pos: peekNonSpace().pos, args: [] };
    for (;;) {
      peekNonSpace();
      const arg = operand();
      if (arg) cmd.args.push(arg);
      const token = fetch();
      if (token.type === 'space') continue;
      if (token.type === 'rightDelim' || token.type === 'rightParen') backup();
      else if (token.type !== 'pipe') unexpected(token, 'operand');
      break;
    }
    if (cmd.args.length === 0) errorf('empty command');
    return cmd;
  };

  const operand = (): ArgNode | undefined => {
    const node = term();
    if (!node || peek().type !== 'field') return node;
    const chainPos = peek().pos;
    const fields: string[] = [];
    while (peek().type === 'field') fields.push(fetch().val.slice(1));
    switch (node.type) {
      case 'field':
        return { type: 'field', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'variable':
        return { type: 'variable', pos: chainPos, ident: [...node.ident, ...fields] };
      case 'bool': case 'string': case 'number': case 'nil': case 'dot':
        return errorf(`unexpected . after term ${quote(nodeString(node), '"', false)}`);
      default:
        return { type: 'chain', pos: chainPos, node, field: fields };
    }
  };

  const term = (): ArgNode | undefined => {
    const token = nextNonSpace();
    switch (token.type) {
      case 'identifier':
        if (!knownFunctions.has(token.val)) errorf(`function ${quote(token.val, '"', false)} not defined`);
        return { type: 'identifier', pos: token.pos, name: token.val };
      case 'dot':
        return { type: 'dot', pos: token.pos };
      case 'nil':
        return { type: 'nil', pos: token.pos };
      case 'variable': {
        const ident = token.val.split('.');
        if (!vars.includes(ident[0])) errorf(`undefined variable ${quote(ident[0], '"', false)}`);
        return { type: 'variable', pos: token.pos, ident };
      }
      case 'field':
        return { type: 'field', pos: token.pos, ident: [token.val.slice(1)] };
      case 'bool':
        return { type: 'bool', pos: token.pos, value: token.val === 'true' };
      case 'charConstant':
      case 'complex':
      case 'number':
        return constant(() => newNumber(token.pos, token.val, token.type));
      case 'leftParen':
        return pipeline('parenthesized pipeline', 'rightParen');
      case 'string':
      case 'rawString':
        return { type: 'string', pos: token.pos, quoted: token.val, text: constant(() => unquote(token.val)) };
    }
    backup();
    return undefined;
  };

  // The main template: {{define}} at the top level adds a named tree instead of a node.
  const root: ListNode = { type: 'list', pos: peek().pos, nodes: [] };
  while (peek().type !== 'eof') {
    if (peek().type === 'leftDelim') {
      const delim = fetch();
      if (nextNonSpace().type === 'define') {
        actionLine = delim.line;
        definition();
        actionLine = 0;
        continue;
      }
      index = tokens.indexOf(delim);
    }
    const node = textOrAction();
    if (node.type === 'end' || node.type === 'else') errorf(`unexpected {{${node.type}}}`);
    root.nodes.push(node as Node);
  }
  add({ name: parseName, root });
  return { parseName, text, trees };
}

/** Go's parse.IsEmptyTree: only spaces and comments. */
function isEmptyTree(list: ListNode): boolean {
  return list.nodes.every((node) => (node.type === 'text' ? node.text.trim() === '' : node.type === 'list' ? isEmptyTree(node) : false));
}

/** The functions a template may name: Go's builtins and Docker's. */
export const knownFunctions = new Set([
  'and', 'or', 'not', 'len', 'index', 'slice', 'print', 'printf', 'println', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
  'html', 'js', 'urlquery', 'call',
  'json', 'split', 'join', 'title', 'lower', 'upper', 'pad', 'truncate',
]);
