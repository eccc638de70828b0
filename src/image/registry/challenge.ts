// Parses WWW-Authenticate (RFC 7235): the challenges a registry answers 401 with, e.g. Bearer realm="…",service="…",scope="…".

export interface Challenge {
  /** Lower-cased: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lower-cased, values unquoted: `realm`, `service`, `scope`, `error`. */
  params: Record<string, string>;
}

const tokenChars = /[!#$%&'*+.^_`|~0-9A-Za-z-]/;

/**
 * All challenges in a header value. Node joins repeated WWW-Authenticate headers with ", ", so one
 * value may hold several (`Basic realm="a", Bearer realm="b"`); a comma therefore ends a parameter
 * or a challenge, except inside a quoted string (`scope="repository:a:pull,push"`).
 */
export function parseWwwAuthenticate(header: string | null | undefined): Challenge[] {
  const text = header ?? '';
  const challenges: Challenge[] = [];
  let i = 0;
  const skip = (chars: RegExp): void => {
    while (i < text.length && chars.test(text[i]!)) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < text.length && tokenChars.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  const quoted = (): string => {
    let value = '';
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) i++;
      value += text[i];
      i++;
    }
    i++; // closing quote (or end of text for an unterminated one)
    return value;
  };

  while (i < text.length) {
    skip(/[\s,]/);
    const scheme = token();
    if (scheme === '') {
      i++; // a stray character: step over it rather than loop forever
      continue;
    }
    const challenge: Challenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    skip(/[ \t]/);
    // token68 (`Negotiate abc==`): a credential-like blob instead of parameters.
    const token68 = /^[A-Za-z0-9._~+/-]+=*(?=\s*(,|$))/.exec(text.slice(i));
    if (token68 && !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+\s*=\s*[^=,\s]/.test(text.slice(i))) {
      challenge.params.token68 = token68[0];
      i += token68[0].length;
      continue;
    }
    for (;;) {
      skip(/[\s,]/);
      const mark = i;
      const name = token();
      if (name === '') break;
      skip(/[ \t]/);
      if (text[i] !== '=') {
        i = mark; // a bare token after a comma starts the next challenge
        break;
      }
      i++;
      skip(/[ \t]/);
      let value: string;
      if (text[i] === '"') value = quoted();
      else {
        const start = i;
        while (i < text.length && text[i] !== ',' && !/\s/.test(text[i]!)) i++;
        value = text.slice(start, i);
      }
      challenge.params[name.toLowerCase()] = value;
    }
  }
  return challenges;
}
