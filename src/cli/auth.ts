// The login and logout commands: check credentials against the registry, then store or forget them where Docker keeps them.
import { Writable } from 'node:stream';
import { ExitCode, SkiffError } from '../errors';
import { credentialKey, findCredentials, registryName, removeCredentials, saveCredentials, type Credentials } from '../image/auth';
import { isValidDomain } from '../image/reference';
import { loadRegistriesConfig } from '../image/registries';
import { RegistryError, registryClientFor } from '../image/registry';
import { resolvePaths } from '../paths';
import { defineCommand, type CommandContext } from './command';

declare const SKIFF_VERSION: string;

const tlsVerifyFlag = {
  'tls-verify': {
    type: 'boolean',
    description: 'Require HTTPS and verify certificates when contacting registries (default true, except for localhost and insecure-registries)',
  },
} as const;

/** The server argument as a registry name: docker.io when none is given, Docker's URL forms reduced to host[:port]. */
function serverOf(ctx: CommandContext): string {
  const given = ctx.args[0] ?? 'docker.io';
  const name = registryName(given);
  if (!isValidDomain(name)) throw new SkiffError(`invalid registry "${given}": expected a host[:port] such as registry.example.com or 127.0.0.1:5000`, ExitCode.failure);
  return name;
}

function tlsVerifyOf(ctx: CommandContext): boolean | undefined {
  const value = ctx.flags['tls-verify'];
  return typeof value === 'boolean' ? value : undefined;
}

export const login = defineCommand({
  args: {
    password: { type: 'string', alias: 'p', description: 'Password or Personal Access Token (PAT)' },
    'password-stdin': { type: 'boolean', description: 'Take the Password or Personal Access Token (PAT) from stdin' },
    username: { type: 'string', alias: 'u', description: 'Username' },
    ...tlsVerifyFlag,
  },
  maxArgs: 1,
  async run(ctx) {
    const server = serverOf(ctx);
    let username = typeof ctx.flags.username === 'string' ? ctx.flags.username.trim() : undefined;
    let password = typeof ctx.flags.password === 'string' ? ctx.flags.password : undefined;
    const fromStdin = ctx.flags['password-stdin'] === true;
    if (password !== undefined) {
      process.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
      if (fromStdin) throw new SkiffError('--password and --password-stdin are mutually exclusive', ExitCode.failure);
    }
    if (fromStdin) {
      if (!username) throw new SkiffError('Must provide --username with --password-stdin', ExitCode.failure);
      password = (await readStdin()).replace(/\n$/, '').replace(/\r$/, '');
    }

    const config = await loadRegistriesConfig(resolvePaths(ctx.globals).config);
    const verify = async (credentials: Credentials): Promise<void> => {
      const client = await registryClientFor({ domain: server, path: '' }, { config, tlsVerify: tlsVerifyOf(ctx), credentials, userAgent: `skiff/${SKIFF_VERSION}` });
      await client.authenticate();
    };

    // As Docker: with neither flag, stored credentials that still work are enough.
    if (username === undefined && password === undefined) {
      const stored = await findCredentials(server);
      if (stored) {
        const who = stored.credentials.username;
        process.stdout.write(`Authenticating with existing credentials...${who ? ` [Username: ${who}]` : ''}\n`);
        try {
          await verify(stored.credentials);
          process.stdout.write('Login Succeeded\n');
          return;
        } catch (err) {
          if (!(err instanceof RegistryError && err.reason === 'unauthorized') || !process.stdin.isTTY) throw loginFailed(server, err, who);
          process.stderr.write(`Login did not succeed, error: ${(err as Error).message}\n`);
        }
      }
    }

    if (!username) {
      if (!process.stdin.isTTY) throw new SkiffError('Cannot perform an interactive login from a non TTY device', ExitCode.failure);
      username = (await prompt('Username: ', false)).trim();
      if (!username) throw new SkiffError('Non-null Username Required', ExitCode.failure);
    }
    if (password === undefined) {
      if (!process.stdin.isTTY) throw new SkiffError('Cannot perform an interactive login from a non TTY device', ExitCode.failure);
      password = await prompt('Password: ', true);
    }
    if (!password) throw new SkiffError('Password Required', ExitCode.failure);

    try {
      await verify({ username, password });
    } catch (err) {
      throw loginFailed(server, err, username);
    }
    const saved = await saveCredentials(server, username, password);
    if (saved.plaintext) {
      process.stderr.write(
        `WARNING! Your credentials are stored unencrypted in '${saved.file}'.\n` +
          'Configure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n',
      );
    }
    process.stdout.write('Login Succeeded\n');
  },
});

export const logout = defineCommand({
  args: {},
  maxArgs: 1,
  async run(ctx) {
    const server = serverOf(ctx);
    // Docker names Docker Hub by its config key here.
    const shown = server === 'docker.io' ? credentialKey(server) : server;
    if (await removeCredentials(server)) process.stdout.write(`Removing login credentials for ${shown}\n`);
    else process.stdout.write(`Not logged in to ${shown}\n`);
  },
});

/** A refused login names the registry, the user and the registry's own words; exit 1 as Docker. */
function loginFailed(server: string, err: unknown, username: string | undefined): unknown {
  if (err instanceof RegistryError && err.reason === 'unauthorized') {
    const detail = err.detail && err.detail !== 'unauthorized: authentication required' ? ` (${err.detail})` : '';
    return new SkiffError(`login to ${server} failed: unauthorized: incorrect username or password${username ? ` for "${username}"` : ''}${detail}`, ExitCode.failure, { cause: err });
  }
  if (err instanceof RegistryError && err.reason === 'denied') {
    return new SkiffError(`login to ${server} failed: ${err.message}`, ExitCode.failure, { cause: err });
  }
  return err;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** Asks on the terminal; a hidden answer is not echoed (the password). */
async function prompt(question: string, hidden: boolean): Promise<string> {
  const { createInterface } = await import('node:readline');
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) process.stdout.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    const answer = new Promise<string>((resolve, reject) => {
      rl.question(question, resolve);
      rl.once('close', () => reject(new SkiffError('login cancelled', ExitCode.failure)));
    });
    muted = hidden;
    return await answer;
  } finally {
    rl.close();
    if (hidden) process.stdout.write('\n');
  }
}
