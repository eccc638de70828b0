// Go's text/template as Docker's CLI runs --format: parse once, execute on JS data, Docker's errors.
import { ExitCode, SkiffError } from '../../errors';
import { headerFunctions, templateFunctions, goTypeOfParam, type ParamType, type TemplateFunction } from './functions';
import { printValue as formatValue, quote } from './gofmt';
import {
  nodeString, numberValue, parse, ParseError,
  type ArgNode, type BranchNode, type ChainNode, type CommandNode, type FieldNode, type IdentifierNode, type Node,
  type ParsedSet, type PipeNode, type TemplateNode, type VariableNode,
} from './parse';
import { byteLength, isStringSlice, isTrue, kindOf, mapKeys, typeName } from './values';

export { GoFloat } from './values';
export { marshalJSON } from './gofmt';

/** A parsed --format template. */
export interface Template {
  readonly set: ParsedSet;
}

export interface ExecuteOptions {
  /**
   * What a missing map key does: `default` yields Go's "no value" (printed `<no value>`), `error`
   * fails as Go's missingkey=error does ("map has no entry for key").
   */
  missingKey?: 'default' | 'error';
  /** Run with Docker's header functions, which leave column names untransformed (table headers). */
  header?: boolean;
}

/**
 * A template that does not parse or fails to execute. The message is Docker's ("template parsing
 * error: template: :1: unclosed action"); `goMessage` is text/template's own, for commands that word
 * it differently. Docker exits 64 when an inspect/version template does not parse and 1 otherwise.
 */
export class TemplateError extends SkiffError {
  /** What the template had written before it failed; Docker keeps this for table headers. */
  readonly output: string;
  constructor(
    readonly goMessage: string,
    readonly phase: 'parse' | 'execute',
    options: { output?: string; exitCode?: number; message?: string } = {},
  ) {
    super(options.message ?? `template parsing error: ${goMessage}`, options.exitCode ?? (phase === 'parse' ? 64 : ExitCode.failure));
    this.output = options.output ?? '';
  }
}

/** Parses a template as Docker's templates.Parse does; `name` is what messages call it ("" for --format). */
export function parseTemplate(text: string, name = ''): Template {
  try {
    return { set: parse(text, name) };
  } catch (err) {
    if (err instanceof ParseError) throw new TemplateError(err.message, 'parse');
    throw err;
  }
}

/**
 * Executes a template on data: JS objects play Go maps (and structs), arrays slices, null a nil
 * pointer, undefined a missing value; function-valued properties are methods.
 */
export function executeTemplate(template: Template, data: unknown, options: ExecuteOptions = {}): string {
  const out: string[] = [];
  const state: State = {
    set: template.set,
    name: template.set.parseName,
    out,
    vars: [{ name: '$', value: data }],
    node: undefined,
    depth: 0,
    missingKeyError: options.missingKey === 'error',
    functions: options.header ? headerFunctions : templateFunctions,
  };
  const root = template.set.trees.get(template.set.parseName);
  try {
    if (!root) throw new ExecError(`template: ${quote(template.set.parseName, '"', false)} is an incomplete or empty template`);
    walk(state, data, root.root);
  } catch (err) {
    if (err instanceof ExecError) throw new TemplateError(err.message, 'execute', { output: out.join('') });
    if (err instanceof RangeError) throw new TemplateError(`template: ${template.set.parseName}: exceeded maximum template depth`, 'execute', { output: out.join('') });
    throw err;
  }
  return out.join('');
}

// ---- Execution ------------------------------------------------------------------------------

class ExecError extends Error {}
const BREAK = Symbol('break');
const CONTINUE = Symbol('continue');
/** The absent final argument: what a pipeline passes to its first command. */
const MISSING = Symbol('missing');
const maxDepth = 200;

interface State {
  set: ParsedSet;
  /** The template running now, which {{template}} changes. */
  name: string;
  out: string[];
  vars: Array<{ name: string; value: unknown }>;
  /** The node being evaluated, for the location and context in error messages (Go's state.at). */
  node: Node | ArgNode | CommandNode | undefined;
  depth: number;
  missingKeyError: boolean;
  functions: Record<string, TemplateFunction>;
}

function errorf(s: State, message: string): never {
  const name = quote(s.name, '"', false);
  if (!s.node) throw new ExecError(`template: ${s.name}: ${message}`);
  const text = s.set.text;
  const pos = s.node.pos;
  const lineStart = text.lastIndexOf('\n', pos - 1) + 1;
  const line = text.slice(0, pos).split('\n').length;
  const column = byteLength(text.slice(lineStart, pos));
  throw new ExecError(`template: ${s.set.parseName}:${line}:${column}: executing ${name} at <${nodeString(s.node)}>: ${message}`);
}

function walk(s: State, dot: unknown, node: Node): void {
  s.node = node;
  switch (node.type) {
    case 'action': {
      const value = evalPipeline(s, dot, node.pipe);
      // An action that declares variables prints nothing.
      if (node.pipe.decl.length === 0) {
        s.node = node;
        if (kindOf(value) === 'func') errorf(s, `can't print ${nodeString(node)} of type func`);
        s.out.push(value === undefined ? '<no value>' : formatValue(value));
      }
      return;
    }
    case 'break':
      throw BREAK;
    case 'continue':
      throw CONTINUE;
    case 'if':
    case 'with':
      return walkIfOrWith(s, dot, node);
    case 'list':
      for (const child of node.nodes) walk(s, dot, child);
      return;
    case 'range':
      return walkRange(s, dot, node);
    case 'template':
      return walkTemplate(s, dot, node);
    case 'text':
      s.out.push(node.text);
      return;
  }
}

function walkIfOrWith(s: State, dot: unknown, node: BranchNode): void {
  const mark = s.vars.length;
  try {
    const value = evalPipeline(s, dot, node.pipe);
    if (isTrue(value)) walk(s, node.type === 'with' ? value : dot, node.list);
    else if (node.elseList) walk(s, dot, node.elseList);
  } finally {
    s.vars.length = mark;
  }
}

function walkRange(s: State, dot: unknown, node: BranchNode): void {
  s.node = node;
  const outerMark = s.vars.length;
  try {
    const value = evalPipeline(s, dot, node.pipe);
    const mark = s.vars.length;
    const { decl, isAssign } = node.pipe;
    const iterate = (key: unknown, element: unknown) => {
      if (decl.length > 0) {
        // With two variables the first takes the index and the second the element.
        if (isAssign) setVar(s, decl[0].ident[0], decl.length > 1 ? key : element);
        else s.vars[s.vars.length - 1].value = element;
      }
      if (decl.length > 1) {
        if (isAssign) setVar(s, decl[1].ident[0], element);
        else s.vars[s.vars.length - 2].value = key;
      }
      try {
        walk(s, element, node.list);
      } catch (signal) {
        if (signal !== CONTINUE) throw signal;
      } finally {
        s.vars.length = mark;
      }
    };
    let ran = false;
    switch (kindOf(value)) {
      case 'slice':
        (value as unknown[]).forEach((element, i) => {
          ran = true;
          iterate(i, element);
        });
        break;
      case 'map': {
        const map = value as Record<string, unknown>;
        for (const key of mapKeys(map)) {
          ran = true;
          iterate(key, map[key]);
        }
        break;
      }
      case 'int': {
        if (decl.length > 1) errorf(s, `can't use ${formatValue(value)} to iterate over more than one variable`);
        for (let i = 0; i < Number(value); i++) {
          ran = true;
          iterate(i, i);
        }
        break;
      }
      case 'invalid':
      case 'nil':
        // A missing value or nil slice/map ranges over nothing.
        break;
      default:
        errorf(s, `range can't iterate over ${formatValue(value)}`);
    }
    if (!ran && node.elseList) walk(s, dot, node.elseList);
  } catch (signal) {
    if (signal !== BREAK) throw signal;
  } finally {
    s.vars.length = outerMark;
  }
}

function walkTemplate(s: State, dot: unknown, node: TemplateNode): void {
  s.node = node;
  const tree = s.set.trees.get(node.name);
  if (!tree) errorf(s, `template ${quote(node.name, '"', false)} not defined`);
  if (s.depth >= maxDepth) errorf(s, `exceeded maximum template depth (${maxDepth})`);
  const newDot = evalPipeline(s, dot, node.pipe);
  // A template sees no variables of its caller, only $ as its own dot.
  const inner: State = { ...s, name: node.name, vars: [{ name: '$', value: newDot }], depth: s.depth + 1 };
  walk(inner, newDot, tree.root);
}

function setVar(s: State, name: string, value: unknown): void {
  for (let i = s.vars.length - 1; i >= 0; i--) {
    if (s.vars[i].name === name) {
      s.vars[i].value = value;
      return;
    }
  }
  errorf(s, `undefined variable: ${name}`);
}

function varValue(s: State, name: string): unknown {
  for (let i = s.vars.length - 1; i >= 0; i--) {
    if (s.vars[i].name === name) return s.vars[i].value;
  }
  return errorf(s, `undefined variable: ${name}`);
}

function evalPipeline(s: State, dot: unknown, pipe: PipeNode | undefined): unknown {
  if (!pipe) return undefined;
  s.node = pipe;
  let value: unknown = MISSING;
  for (const cmd of pipe.cmds) value = evalCommand(s, dot, cmd, value);
  for (const variable of pipe.decl) {
    if (pipe.isAssign) setVar(s, variable.ident[0], value);
    else s.vars.push({ name: variable.ident[0], value });
  }
  return value;
}

function notAFunction(s: State, args: ArgNode[], final: unknown): void {
  if (args.length > 1 || final !== MISSING) errorf(s, `can't give argument to non-function ${nodeString(args[0])}`);
}

function evalCommand(s: State, dot: unknown, cmd: CommandNode, final: unknown): unknown {
  const first = cmd.args[0];
  switch (first.type) {
    case 'field':
      return evalFieldNode(s, dot, first, cmd.args, final);
    case 'chain':
      return evalChainNode(s, dot, first, cmd.args, final);
    case 'identifier':
      return evalFunction(s, dot, first, cmd, cmd.args, final);
    case 'pipe':
      notAFunction(s, cmd.args, final);
      return evalPipeline(s, dot, first);
    case 'variable':
      return evalVariableNode(s, dot, first, cmd.args, final);
  }
  s.node = first;
  notAFunction(s, cmd.args, final);
  switch (first.type) {
    case 'bool':
      return first.value;
    case 'dot':
      return dot;
    case 'nil':
      return errorf(s, 'nil is not a command');
    case 'number':
      return idealConstant(s, first);
    case 'string':
      return first.text;
  }
}

function idealConstant(s: State, node: Extract<ArgNode, { type: 'number' }>): unknown {
  s.node = node;
  const value = numberValue(node);
  if (typeof value === 'object' && 'error' in value) errorf(s, value.error);
  return value;
}

function evalFieldNode(s: State, dot: unknown, field: FieldNode, args: ArgNode[], final: unknown): unknown {
  s.node = field;
  return evalFieldChain(s, dot, dot, field, field.ident, args, final);
}

function evalChainNode(s: State, dot: unknown, chain: ChainNode, args: ArgNode[], final: unknown): unknown {
  s.node = chain;
  if (chain.node.type === 'nil') errorf(s, `indirection through explicit nil in ${nodeString(chain)}`);
  const receiver = evalArg(s, dot, undefined, chain.node);
  return evalFieldChain(s, dot, receiver, chain, chain.field, args, final);
}

function evalVariableNode(s: State, dot: unknown, variable: VariableNode, args: ArgNode[], final: unknown): unknown {
  s.node = variable;
  const value = varValue(s, variable.ident[0]);
  if (variable.ident.length === 1) {
    notAFunction(s, args, final);
    return value;
  }
  return evalFieldChain(s, dot, value, variable, variable.ident.slice(1), args, final);
}

function evalFieldChain(s: State, dot: unknown, receiver: unknown, node: ArgNode, ident: string[], args: ArgNode[], final: unknown): unknown {
  for (let i = 0; i < ident.length - 1; i++) receiver = evalField(s, dot, ident[i], node, [], MISSING, receiver);
  return evalField(s, dot, ident[ident.length - 1], node, args, final, receiver);
}

/** A property of an object or of its class, but never one every object inherits (toString). */
function lookup(object: object, name: string): { found: boolean; value?: unknown } {
  for (let o: object | null = object; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    if (Object.prototype.hasOwnProperty.call(o, name)) return { found: true, value: (object as Record<string, unknown>)[name] };
  }
  return { found: false };
}

function evalField(s: State, dot: unknown, name: string, node: ArgNode, args: ArgNode[], final: unknown, receiver: unknown): unknown {
  const kind = kindOf(receiver);
  if (kind === 'invalid') {
    if (s.missingKeyError) errorf(s, `nil data; no entry for key ${quote(name, '"', false)}`);
    return undefined;
  }
  if (kind === 'nil') errorf(s, `nil pointer evaluating ${typeName(receiver)}.${name}`);
  const property = kind === 'map' ? lookup(receiver as object, name) : { found: false };
  if (property.found && typeof property.value === 'function') {
    const method = property.value as (...a: unknown[]) => unknown;
    const asFunction: TemplateFunction = { params: new Array<ParamType>(method.length).fill('any'), call: (...a) => method.apply(receiver, a) };
    return evalCall(s, dot, asFunction, false, node, name, args, final);
  }
  if (kind === 'map') {
    if (args.length > 1 || final !== MISSING) errorf(s, `${name} is not a method but has arguments`);
    if (property.value === undefined && s.missingKeyError) errorf(s, `map has no entry for key ${quote(name, '"', false)}`);
    return property.value;
  }
  return errorf(s, `can't evaluate field ${name} in type ${typeName(receiver)}`);
}

function evalFunction(s: State, dot: unknown, node: IdentifierNode, cmd: ArgNode | CommandNode, args: ArgNode[] | undefined, final: unknown): unknown {
  s.node = node;
  const fn = s.functions[node.name];
  if (!fn) errorf(s, `${quote(node.name, '"', false)} is not a defined function`);
  return evalCall(s, dot, fn, true, cmd, node.name, args, final);
}

/** Calls a function or method with its argument nodes (the first is its own name) and a piped final value. */
function evalCall(
  s: State, dot: unknown, fn: TemplateFunction, isBuiltin: boolean, node: ArgNode | CommandNode, name: string,
  args: ArgNode[] | undefined, final: unknown,
): unknown {
  const argNodes = args ? args.slice(1) : [];
  const numIn = argNodes.length + (final !== MISSING ? 1 : 0);
  let numFixed = argNodes.length;
  if (fn.variadic) {
    numFixed = fn.params.length;
    if (numIn < numFixed) errorf(s, `wrong number of args for ${name}: want at least ${fn.params.length} got ${argNodes.length}`);
  } else if (numIn !== fn.params.length) {
    errorf(s, `wrong number of args for ${name}: want ${fn.params.length} got ${numIn}`);
  }

  // and/or stop at the first operand that decides, and return that operand.
  if (isBuiltin && (name === 'and' || name === 'or')) {
    let value: unknown;
    for (const arg of argNodes) {
      value = evalArg(s, dot, 'value', arg);
      if (isTrue(value) === (name === 'or')) return value;
    }
    if (final !== MISSING) value = validateType(s, final, 'value');
    return value;
  }

  const argv: unknown[] = [];
  let i = 0;
  for (; i < numFixed && i < argNodes.length; i++) argv.push(evalArg(s, dot, fn.params[i], argNodes[i]));
  if (fn.variadic) for (; i < argNodes.length; i++) argv.push(evalArg(s, dot, fn.variadic, argNodes[i]));
  if (final !== MISSING) {
    let type = fn.params[fn.params.length - 1];
    if (fn.variadic) type = numIn - 1 < numFixed ? fn.params[numIn - 1] : fn.variadic;
    argv.push(validateType(s, final, type));
  }
  try {
    return fn.call(...argv);
  } catch (err) {
    if (err instanceof ExecError) throw err;
    s.node = node;
    return errorf(s, `error calling ${name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Evaluates an argument node for a parameter of the given type; `undefined` type takes anything. */
function evalArg(s: State, dot: unknown, type: ParamType | undefined, node: ArgNode): unknown {
  s.node = node;
  switch (node.type) {
    case 'dot':
      return validateType(s, dot, type);
    case 'nil':
      if (type === undefined || type === 'any' || type === 'strings') return null;
      if (type === 'value') return undefined;
      return errorf(s, `cannot assign nil to ${goTypeOfParam[type]}`);
    case 'field':
      return validateType(s, evalFieldNode(s, dot, node, [node], MISSING), type);
    case 'variable':
      return validateType(s, evalVariableNode(s, dot, node, [], MISSING), type);
    case 'pipe':
      return validateType(s, evalPipeline(s, dot, node), type);
    case 'identifier':
      return validateType(s, evalFunction(s, dot, node, node, undefined, MISSING), type);
    case 'chain':
      return validateType(s, evalChainNode(s, dot, node, [], MISSING), type);
  }
  switch (type) {
    case 'int':
      if (node.type === 'number' && node.isInt) return Number(node.int);
      return errorf(s, `expected integer; found ${nodeString(node)}`);
    case 'string':
      if (node.type === 'string') return node.text;
      return errorf(s, `expected string; found ${nodeString(node)}`);
    case 'strings':
      return errorf(s, `can't handle ${nodeString(node)} for arg of type []string`);
    default:
      if (node.type === 'bool') return node.value;
      if (node.type === 'string') return node.text;
      return idealConstant(s, node);
  }
}

/** Checks a value against a parameter type, as Go's reflection would when passing it. */
function validateType(s: State, value: unknown, type: ParamType | undefined): unknown {
  if (type === undefined || type === 'value') return value;
  if (value === undefined) {
    if (type === 'any' || type === 'strings') return null;
    return errorf(s, `invalid value; expected ${goTypeOfParam[type]}`);
  }
  const kind = kindOf(value);
  const ok =
    type === 'any' ||
    (type === 'string' && kind === 'string') ||
    (type === 'int' && kind === 'int') ||
    (type === 'strings' && (value === null || isStringSlice(value)));
  if (!ok) errorf(s, `wrong type for value; expected ${goTypeOfParam[type]}; got ${typeName(value)}`);
  return value;
}
