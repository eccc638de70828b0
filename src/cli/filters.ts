// Docker's --filter key=value lists, as ps, images and the prune commands read them.
import { ExitCode, SkiffError } from '../errors';

/** `--filter` values grouped by key (lower-cased); `label!=x` is the key `label!`. */
export function parseFilters(values: readonly string[] | undefined, allowed: readonly string[]): Map<string, string[]> {
  const filters = new Map<string, string[]>();
  for (const v of values ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new SkiffError(`bad format of filter (expected name=value): ${v}`, ExitCode.failure);
    const key = v.slice(0, eq).toLowerCase();
    if (!allowed.includes(key)) throw new SkiffError(`Invalid filter '${key}'`, ExitCode.failure);
    filters.set(key, [...(filters.get(key) ?? []), v.slice(eq + 1)]);
  }
  return filters;
}

/**
 * Docker's label filters: every `label=KEY` or `label=KEY=VALUE` must hold (the key is set, or set to
 * that value), and none of the `label!=…` ones.
 */
export function labelsMatch(filters: Map<string, string[]>, labels: Record<string, string> | null | undefined): boolean {
  const have = labels ?? {};
  const holds = (filter: string): boolean => {
    const eq = filter.indexOf('=');
    return eq < 0 ? filter in have : have[filter.slice(0, eq)] === filter.slice(eq + 1);
  };
  return (filters.get('label') ?? []).every(holds) && !(filters.get('label!') ?? []).some(holds);
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (300ms, 1.5h, 1h30m) in milliseconds; undefined when the text is not one. */
export function parseGoDuration(text: string): number | undefined {
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(text);
  if (!m) return undefined;
  let total = 0;
  for (const part of text.slice(m[1].length).matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) total += Number(part[1]) * durationUnits[part[2]];
  return m[1] === '-' ? -total : total;
}

/**
 * Docker's time values (logs --since/--until, prune's until): RFC 3339 or a plain date-time, a Unix
 * timestamp, or a Go duration counted back from now. Milliseconds since the epoch.
 */
export function parseTimeOrDuration(text: string, now = Date.now(), what = 'since'): number {
  const duration = parseGoDuration(text);
  if (duration !== undefined) return now - duration;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  const t = Date.parse(text);
  if (Number.isNaN(t)) {
    throw new SkiffError(`invalid value for "${what}": failed to parse value as time or duration: "${text}"; use a time (2013-01-02T13:23:37Z), a Unix timestamp or a duration (10m)`, ExitCode.failure);
  }
  return t;
}

/** What `container prune` and `image prune` keep: `until` (created at or after it) and the label filters. */
export interface PruneFilter {
  /** All the filters given, by key (image prune reads `dangling` from it). */
  filters: Map<string, string[]>;
  matches(created: string | undefined, labels: Record<string, string> | null | undefined): boolean;
}

export function pruneFilter(values: readonly string[] | undefined, now = Date.now(), extraKeys: readonly string[] = []): PruneFilter {
  const filters = parseFilters(values, ['until', 'label', 'label!', ...extraKeys]);
  const untils = (filters.get('until') ?? []).map((u) => parseTimeOrDuration(u, now, 'until'));
  return {
    filters,
    matches(created, labels) {
      if (untils.length > 0) {
        const t = Date.parse(created ?? '');
        // Docker prunes what was created before every given time; an unknown creation time is never "before".
        if (Number.isNaN(t) || untils.some((u) => t >= u)) return false;
      }
      return labelsMatch(filters, labels);
    },
  };
}
