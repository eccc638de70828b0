// The --format API commands call: Docker's list formatter (table, json, custom, quiet) and inspect output.
import { goJSON, marshalJSON } from './gofmt';
import { tabwrite } from './table';
import { executeTemplate, parseTemplate, TemplateError, type Template } from './template';

export { executeTemplate, parseTemplate, TemplateError, type Template } from './template';
export { tabwrite, displayWidth } from './table';
export { nilMap, nilSlice } from './values';

export interface ListFormatOptions {
  /** --format as given: '' or absent for the default, `table`, `table TEMPLATE`, `json` or TEMPLATE. */
  format?: string;
  /** The command's default, normally a table: 'table {{.ID}}\t{{.Image}}'. */
  defaultFormat: string;
  /** Column headers by field name, { ID: 'CONTAINER ID' }, for table header rows. */
  headers: Record<string, string>;
  /** -q: only quietFormat per item; like Docker, it wins over --format. */
  quiet?: boolean;
  quietFormat?: string;
}

/**
 * Renders a listing as Docker's formatter does: a table (header row from `headers`, tab-aligned), one
 * line per item for a custom template, or one JSON object per line for `json`. Items are flat
 * objects; a field they lack is an error, as in Docker (function properties act as methods, such as
 * `Label(name)`). Output ends with a newline unless it is empty.
 */
export function formatList(items: object[], options: ListFormatOptions): string {
  let format = options.format ?? '';
  if (options.quiet) format = options.quietFormat ?? '{{.ID}}';
  else if (format === '' || format === 'table') format = options.defaultFormat;

  const isTable = format.startsWith('table');
  let text = format === 'json' ? '{{json .}}' : isTable ? format.slice('table'.length) : format;
  // Docker trims spaces (not other whitespace) and reads \t and \n typed literally in the shell.
  text = text.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');

  const template = parseListTemplate(text);
  // A field the items lack fails (exit 1), as Docker's typed list contexts do.
  const rows = items.map((item) => `${executeTemplate(template, listItem(item), { missingKey: 'error' })}\n`);
  if (!isTable) return rows.join('');

  // The header row is the same template run on the column names; a failure keeps what it wrote.
  let header: string;
  try {
    header = executeTemplate(template, headerItem(options.headers), { header: true });
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    header = err.output;
  }
  return tabwrite(`${header}\n${rows.join('')}`);
}

function parseListTemplate(text: string): Template {
  try {
    return parseTemplate(text);
  } catch (err) {
    // Listing commands exit 1 where inspect exits 64.
    if (err instanceof TemplateError) throw new TemplateError(err.goMessage, 'parse', { exitCode: 1 });
    throw err;
  }
}

/** An item as Docker's list contexts present it: {{json .}} is json.Marshal of a map, keys sorted, HTML escaped. */
function listItem(item: object): object {
  const record = item as Record<string, unknown>;
  const sorted = Object.fromEntries(Object.keys(record).sort().map((key) => [key, record[key]]));
  return { ...item, [marshalJSON]: () => goJSON(sorted, { escapeHTML: true }) };
}

/** Docker's SubHeaderContext: the headers map, whose Label method heads a label column with its last part. */
function headerItem(headers: Record<string, string>): object {
  return {
    ...headers,
    Label: (name: string) => String(name).split('.').pop()!.replace(/[-_]/g, ' '),
  };
}

export interface InspectFormatOptions {
  /**
   * Escape <, > and & in the JSON as \u003c, \u003e, \u0026. Docker's container, image and network
   * inspect print the daemon's JSON, which does not; volume and context inspect marshal in the CLI,
   * which does.
   */
  escapeHTML?: boolean;
}

/**
 * Renders `inspect` output. Without a format, a JSON array indented by four spaces; `json` gives it
 * compact on one line; a template prints one line per item. An item whose template fails is left
 * out: the error (exit 1) lists every failure and carries the other items' lines as `output`, which
 * Docker still prints. A template that does not parse exits 64.
 */
export function formatInspect(items: unknown[], format?: string, options: InspectFormatOptions = {}): string {
  if (!format) return `${goJSON(items, { indent: '    ', escapeHTML: options.escapeHTML })}\n`;
  if (format === 'json') return `${goJSON(items, { escapeHTML: options.escapeHTML })}\n`;
  const template = parseTemplate(format);
  let output = '';
  const failures: string[] = [];
  for (const item of items) {
    try {
      output += `${executeTemplate(template, item)}\n`;
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      failures.push(err.message);
    }
  }
  // Docker prints an empty line when nothing rendered.
  if (output === '') output = '\n';
  if (failures.length > 0) {
    throw new TemplateError(failures.join('\n'), 'execute', { output, message: failures.join('\n') });
  }
  return output;
}
