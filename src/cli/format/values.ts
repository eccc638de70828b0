// How JavaScript values play Go's values in templates: their kind, type name, truth and map order.

/**
 * A float64 whose value is integral, such as the template literals `1e6` and `3.0`. A JS number
 * cannot say it is a float, and Go prints and compares floats differently from ints (`1e+06`).
 */
export class GoFloat {
  constructor(readonly value: number) {}
}

/**
 * Go's kinds as the template engine sees them. `invalid` is Go's missing value (an absent map key,
 * JS `undefined`); `nil` is a nil pointer, slice or map (JS `null`); objects are maps, and
 * function-valued properties are the methods of the object that holds them.
 */
export type Kind = 'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'func';

export function kindOf(value: unknown): Kind {
  switch (typeof value) {
    case 'undefined':
      return 'invalid';
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'function':
      return 'func';
    case 'object':
      if (value === null) return 'nil';
      if (value instanceof GoFloat) return 'float';
      return Array.isArray(value) ? 'slice' : 'map';
    default:
      return 'invalid';
  }
}

/**
 * Docker's nil slices and nil maps: JSON shows them as null, yet templates print them as `[]` and
 * `map[]`, as empty values (Docker's `{{.HostConfig.Binds}}` prints `[]`). A plain null plays a nil
 * pointer instead and prints `<nil>`. Data builders use these where Docker has a nil slice or map.
 */
export const nilSlice: readonly never[] = Object.freeze([]);
export const nilMap: Readonly<Record<string, never>> = Object.freeze({});

/** null, undefined, or one of the typed nils above. */
export function isNil(value: unknown): boolean {
  return value === null || value === undefined || value === nilSlice || value === nilMap;
}

/** The number inside an int or float value. */
export function numberOf(value: unknown): number {
  return value instanceof GoFloat ? value.value : Number(value);
}

/**
 * The Go type name shown in messages (`%T`, "can't evaluate field X in type string"). Arrays and
 * objects holding only strings play `[]string` and `map[string]string`, the types Docker's labels,
 * env and command lines have, so that `join` accepts them and `index` of a missing label is "".
 */
export function typeName(value: unknown): string {
  switch (kindOf(value)) {
    case 'invalid':
    case 'nil':
      return 'interface {}';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'string':
      return 'string';
    case 'slice':
      return isStringSlice(value) ? '[]string' : '[]interface {}';
    case 'map':
      return isStringMap(value as object) ? 'map[string]string' : 'map[string]interface {}';
    case 'func':
      return 'func';
  }
}

export function isStringSlice(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((element) => typeof element === 'string');
}

export function isStringMap(value: object): boolean {
  return mapKeys(value).every((key) => typeof (value as Record<string, unknown>)[key] === 'string');
}

/** Go's truth: false, 0, "", nil and empty slices and maps are false; everything else is true. */
export function isTrue(value: unknown): boolean {
  switch (kindOf(value)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return value as boolean;
    case 'int':
    case 'float':
      return numberOf(value) !== 0;
    case 'string':
      return (value as string).length > 0;
    case 'slice':
      return (value as unknown[]).length > 0;
    case 'map':
      return mapKeys(value as object).length > 0;
    case 'func':
      return true;
  }
}

/**
 * A map's keys in the order Go's fmt and range visit them: sorted by code point (which is UTF-8
 * byte order). Methods and undefined entries are not entries.
 */
export function mapKeys(map: object): string[] {
  const record = map as Record<string, unknown>;
  return Object.keys(map)
    .filter((key) => record[key] !== undefined && typeof record[key] !== 'function')
    .sort(compareCodePoints);
}

export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The UTF-8 length of a string, which is what Go's len and slicing count. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}
