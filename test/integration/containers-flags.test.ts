// The container flags and commands containers.test.ts leaves out, each checked against what Docker
// 20.10 does (its output is quoted beside the assertions): signal proxying, attach, exec through a
// pty, detach keys, stop signal and timeout, ps filters and formats, logs windows, env files,
// --pull, --platform, start -i, wait/kill/restart, top, port, inspect.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { loadEnv } from '../lib/env';
import { inspect, sleep, until } from '../lib/wait';
import { newSession, skiffBinary, type Session } from '../lib/skiff';

const env = loadEnv();
const bb = env.images.busybox;
let s: Session;


const lines = (text: string): string[] => text.split('\n').filter(Boolean);

/**
 * Runs a command on a real pty and plays a script against it: ['expect', TEXT] waits for TEXT in the
 * output, ['type', TEXT] and ['keys', HEX] write, ['exit', SECONDS] waits for the command to end.
 * Returns whether each expect/exit step succeeded, the exit code (null if it never ended) and the output.
 */
const ptyDriver = `
import json, os, pty, select, sys, time
steps = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
out = b''
def read_until(token, timeout):
    global out
    end = time.time() + timeout
    while token not in out and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                return token in out
            if not chunk:
                break
            out += chunk
    return token in out
results, code = [], None
for kind, arg in steps:
    if kind == 'expect':
        results.append(read_until(arg.encode(), 15))
    elif kind == 'type':
        os.write(fd, arg.encode())
    elif kind == 'keys':
        os.write(fd, bytes.fromhex(arg))
    elif kind == 'exit':
        end = time.time() + arg
        while code is None and time.time() < end:
            read_until(b'\\0', 0.1)
            p, status = os.waitpid(pid, os.WNOHANG)
            if p:
                code = os.waitstatus_to_exitcode(status)
        results.append(code is not None)
if code is None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)
print(json.dumps({'results': results, 'code': code, 'out': out.decode(errors='replace')}))
`;

type PtyStep = ['expect' | 'type' | 'keys', string] | ['exit', number];

async function onPty(steps: PtyStep[], args: string[]): Promise<{ results: boolean[]; code: number | null; out: string }> {
  const r = await s.run(['python3', '-c', ptyDriver, JSON.stringify(steps), skiffBinary(), ...args], { timeoutMs: 60_000 });
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { results: boolean[]; code: number | null; out: string };
}

/** Starts a command, waits for its first line of output, sends it a signal, and reports how it ended. */
const signalDriver = `
import json, signal, subprocess, sys
p = subprocess.Popen(sys.argv[2:], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
first = p.stdout.readline()
p.send_signal(getattr(signal, sys.argv[1]))
try:
    out, err = p.communicate(timeout=10)
    code = p.returncode
except subprocess.TimeoutExpired:
    p.kill()
    out, err = p.communicate()
    code = None
print(json.dumps({'code': code, 'out': (first + out).decode(), 'err': err.decode()}))
`;

async function withSignal(signal: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const r = await s.run(['python3', '-c', signalDriver, signal, skiffBinary(), ...args], { timeoutMs: 30_000 });
  assert.is(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as { code: number | null; out: string; err: string };
}

test.before(async () => {
  s = newSession();
  await s.pull(bb);
});

test.after(() => s.removeAllContainers());

test('run --sig-proxy: SIGTERM and SIGINT reach the container; --sig-proxy=false keeps them', async () => {
  const trap = 'trap "echo got-term; exit 42" TERM; trap "echo got-int; exit 43" INT; echo ready; while true; do sleep 0.1; done';
  // docker run --rm IMAGE sh -c '…' + kill -TERM: "ready", "got-term", exit 42
  const term = await withSignal('SIGTERM', ['run', '--rm', bb, 'sh', '-c', trap]);
  assert.equal([term.code, term.out], [42, 'ready\ngot-term\n'], term.err);
  const int = await withSignal('SIGINT', ['run', '--rm', bb, 'sh', '-c', trap]);
  assert.equal([int.code, int.out], [43, 'ready\ngot-int\n'], int.err);
  // docker run --sig-proxy=false + kill -TERM: the container stays "running" and never prints got-term.
  // (Docker 20.10's CLI also stays attached, ignoring TERM and INT; skiff's ends on the signal, after
  // recording the container as running, and leaves the container alone.)
  const off = await withSignal('SIGTERM', ['run', '--name', 'noproxy', '--sig-proxy=false', bb, 'sh', '-c', trap]);
  assert.is(off.out, 'ready\n', off.err);
  await sleep(300);
  assert.is(await inspect(s, 'noproxy', '{{.State.Running}}'), 'true');
  assert.is((await s.skiff(['logs', 'noproxy'])).stdout, 'ready\n');
  assert.is((await s.skiff(['rm', '-f', 'noproxy'])).code, 0);
});

test('attach relays stdin and output of a running -i container and returns its code; a stopped one is refused', async () => {
  const d = await s.skiff(['run', '-d', '-i', '--name', 'att', bb, 'sh', '-c', 'read x; echo got $x; exit 4']);
  assert.is(d.code, 0, d.stderr);
  // (echo hello; sleep 1) | docker attach att: "got hello", exit 4
  const a = await s.run(['sh', '-c', '(echo hello; sleep 1) | skiff attach att']);
  assert.equal([a.code, a.stdout], [4, 'got hello\n'], a.stderr);
  // docker attach of an exited container: "You cannot attach to a stopped container, start it first", exit 1
  const stopped = await s.skiff(['attach', 'att']);
  assert.is(stopped.code, 1);
  assert.match(stopped.stderr, /You cannot attach to a stopped container, start it first/);
  // docker attach nosuch: "Error response from daemon: No such container: nosuch", exit 1
  const missing = await s.skiff(['attach', 'nosuch']);
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /No such container: nosuch/);
  await s.skiff(['rm', 'att']);
});

test('exec -it drives a shell on a pty; exec -d returns at once; exec into a stopped container fails', async () => {
  const d = await s.skiff(['run', '-d', '--name', 'ex', bb, 'sleep', '300']);
  assert.is(d.code, 0, d.stderr);
  // docker exec -it ex sh: a prompt, /dev/pts/0, TERM=xterm, and the shell's exit code
  const pty = await onPty([['expect', '#'], ['type', 'echo exec-$((6*7)) $TERM; tty\r'], ['expect', 'exec-42 xterm'], ['expect', '/dev/pts/'],
    ['type', 'exit 6\r'], ['exit', 15]], ['exec', '-it', 'ex', 'sh']);
  assert.equal(pty.results, [true, true, true, true], pty.out);
  assert.is(pty.code, 6, pty.out);
  // docker exec -d: returns in ~60 ms, exit 0, while the command goes on
  const t0 = Date.now();
  const bg = await s.skiff(['exec', '-d', 'ex', 'sh', '-c', 'sleep 1; echo done > /tmp/marker']);
  assert.is(bg.code, 0, bg.stderr);
  assert.is(bg.stdout, '');
  assert.ok(Date.now() - t0 < 1000, `exec -d returned after ${Date.now() - t0} ms`);
  assert.is((await s.skiff(['exec', 'ex', 'cat', '/tmp/marker'])).code, 1, 'not written yet');
  await until(async () => (await s.skiff(['exec', 'ex', 'cat', '/tmp/marker'])).stdout === 'done\n', 5000, 'the exec -d command');
  assert.is((await s.skiff(['stop', '-t', '0', 'ex'])).code, 0);
  // docker exec (and exec -d) into an exited container: "Error response from daemon: Container ID is not running", exit 1
  for (const args of [['exec', 'ex', 'true'], ['exec', '-d', 'ex', 'true']]) {
    const r = await s.skiff(args);
    assert.is(r.code, 1, args.join(' '));
    assert.match(r.stderr, /Container [0-9a-f]{64} is not running/);
  }
  await s.skiff(['rm', 'ex']);
});

test('--detach-keys: ctrl-p ctrl-q by default, a custom ctrl-x, and attach -it detaches the same way', async () => {
  const prompt: PtyStep[] = [['expect', '#'], ['type', 'echo alive-$((1+1))\r'], ['expect', 'alive-2']];
  // docker run -it --name dk1 IMAGE sh + ctrl-p ctrl-q: exit 0, nothing printed, dk1 still running
  const def = await onPty([...prompt, ['keys', '1011'], ['exit', 10]], ['run', '-it', '--name', 'dk1', bb, 'sh']);
  assert.equal(def.results, [true, true, true], def.out);
  assert.is(def.code, 0, def.out);
  assert.is(await inspect(s, 'dk1', '{{.State.Running}}'), 'true');
  // docker run -it --detach-keys ctrl-x: ctrl-x detaches (exit 0) …
  const custom = await onPty([...prompt, ['keys', '18'], ['exit', 10]], ['run', '-it', '--name', 'dk2', '--detach-keys', 'ctrl-x', bb, 'sh']);
  assert.is(custom.code, 0, custom.out);
  assert.is(await inspect(s, 'dk2', '{{.State.Running}}'), 'true');
  // … and ctrl-p ctrl-q then goes to the shell (Docker: no detach), which still answers and exits 5
  const passed = await onPty([...prompt, ['keys', '1011'], ['type', '\x15echo still-$((2+3))\r'], ['expect', 'still-5'], ['type', 'exit 5\r'], ['exit', 10]],
    ['run', '-it', '--name', 'dk3', '--detach-keys', 'ctrl-x', bb, 'sh']);
  assert.equal(passed.results, [true, true, true, true], passed.out);
  assert.is(passed.code, 5, passed.out);
  // docker attach dk1 + ctrl-p ctrl-q: "read escape sequence", exit 1, dk1 still running (the shell's
  // answer first shows that attach holds the terminal, raw, before the keys are typed)
  const att = await onPty([['type', 'echo att-$((3+4))\r'], ['expect', 'att-7'], ['keys', '1011'], ['expect', 'read escape sequence'], ['exit', 10]], ['attach', 'dk1']);
  assert.equal(att.results, [true, true, true], att.out);
  assert.is(att.code, 1, att.out);
  assert.is(await inspect(s, 'dk1', '{{.State.Running}}'), 'true');
  // docker start -ai of a created -it container + ctrl-p ctrl-q: exit 0, nothing printed
  assert.is((await s.skiff(['create', '-it', '--name', 'dk4', bb, 'sh'])).code, 0);
  const started = await onPty([...prompt, ['keys', '1011'], ['exit', 10]], ['start', '-ai', 'dk4']);
  assert.is(started.code, 0, started.out);
  assert.is(await inspect(s, 'dk4', '{{.State.Running}}'), 'true');
  // docker run --detach-keys foo: the daemon refuses ("Invalid detach keys (foo) provided"), exit 1
  const bad = await s.skiff(['run', '--rm', '--detach-keys', 'foo', bb, 'true']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /Invalid detach keys \(foo\) provided/);
  assert.is((await s.skiff(['rm', '-f', 'dk1', 'dk2', 'dk3', 'dk4'])).code, 0);
});

test('stop honours --stop-signal, --stop-timeout and stop -s', async () => {
  // docker run -d --stop-signal USR1 …trap USR1…; docker stop: ~190 ms, ExitCode 11, Config.StopSignal USR1
  await s.skiff(['run', '-d', '--name', 'ss1', '--stop-signal', 'USR1', bb, 'sh', '-c', 'trap "exit 11" USR1; while true; do sleep 0.1; done']);
  let t0 = Date.now();
  assert.is((await s.skiff(['stop', 'ss1'])).stdout, 'ss1\n');
  assert.ok(Date.now() - t0 < 5000, 'the stop signal ended it, no 10 s timeout');
  assert.is(await inspect(s, 'ss1', '{{.State.ExitCode}} {{.Config.StopSignal}}'), '11 USR1');
  // docker run -d --stop-timeout 1 (TERM ignored); docker stop: ~1100 ms, ExitCode 137, Config.StopTimeout 1
  await s.skiff(['run', '-d', '--name', 'ss2', '--stop-timeout', '1', bb, 'sh', '-c', 'trap "" TERM; while true; do sleep 0.1; done']);
  await sleep(200);
  t0 = Date.now();
  assert.is((await s.skiff(['stop', 'ss2'])).code, 0);
  const took = Date.now() - t0;
  assert.ok(took >= 1000 && took < 5000, `stop took ${took} ms, expected the 1 s stop timeout`);
  assert.is(await inspect(s, 'ss2', '{{.State.ExitCode}} {{.Config.StopTimeout}}'), '137 1');
  // docker stop -s USR2 (API 1.42, Docker 23+; the 20.10 daemon ignores -s and waits 10 s): ExitCode 12 at once
  await s.skiff(['run', '-d', '--name', 'ss3', bb, 'sh', '-c', 'trap "exit 12" USR2; while true; do sleep 0.1; done']);
  await sleep(200);
  t0 = Date.now();
  assert.is((await s.skiff(['stop', '-s', 'USR2', 'ss3'])).code, 0);
  assert.ok(Date.now() - t0 < 5000, 'stop -s sent USR2');
  assert.is(await inspect(s, 'ss3', '{{.State.ExitCode}}'), '12');
  // docker stop --timeout 0 and the older --time 0 are both accepted
  assert.is((await s.skiff(['start', 'ss2'])).code, 0);
  assert.is((await s.skiff(['stop', '--timeout', '0', 'ss2'])).code, 0);
  assert.is((await s.skiff(['start', 'ss2'])).code, 0);
  assert.is((await s.skiff(['stop', '--time', '0', 'ss2'])).code, 0);
  await s.skiff(['rm', '-f', 'ss1', 'ss2', 'ss3']);
});

test('ps filters, -n, -l, --no-trunc, -s and --format, in a session of their own', async () => {
  const p = newSession();
  assert.is((await p.skiff(['pull', '-q', bb])).code, 0);
  assert.is((await p.skiff(['run', '--name', 'pf-a', '--label', 'k=v', bb, 'sh', '-c', 'exit 3'])).code, 3);
  assert.is((await p.skiff(['run', '--name', 'pf-b', '--label', 'k=w', bb, 'true'])).code, 0);
  assert.is((await p.skiff(['create', '--name', 'pf-c', bb, 'true'])).code, 0);
  const d = await p.skiff(['run', '-d', '--name', 'pf-d', '--label', 'k=v', bb, 'sleep', '300']);
  const id = d.stdout.trim();
  const names = async (...args: string[]): Promise<string[]> => {
    const r = await p.skiff(['ps', ...args, '--format', '{{.Names}}']);
    assert.is(r.code, 0, r.stderr);
    return lines(r.stdout);
  };
  // The lists Docker printed for the same four containers, newest first.
  assert.equal(await names('-a', '--filter', 'status=exited'), ['pf-b', 'pf-a']);
  assert.equal(await names('-a', '--filter', 'exited=3'), ['pf-a']);
  assert.equal(await names('-a', '--filter', 'exited=0'), ['pf-b']);
  assert.equal(await names('-a', '--filter', 'label=k=v'), ['pf-d', 'pf-a']);
  assert.equal(await names('-a', '--filter', 'label=k'), ['pf-d', 'pf-b', 'pf-a']);
  assert.equal(await names('--filter', 'label=k=v'), ['pf-d']);
  assert.equal(await names('--filter', 'status=created'), ['pf-c']);
  assert.equal(await names('-a', '--filter', 'name=pf-a', '--filter', 'name=pf-b'), ['pf-b', 'pf-a']);
  assert.equal(await names('-a', '--filter', `ancestor=${bb}`), ['pf-d', 'pf-c', 'pf-b', 'pf-a']);
  assert.equal(await names('-a', '--filter', 'before=pf-c'), ['pf-b', 'pf-a']);
  assert.equal(await names('-a', '--filter', 'since=pf-b'), ['pf-d', 'pf-c']);
  assert.equal(await names('-n', '2'), ['pf-d', 'pf-c']);
  assert.equal(await names('-l'), ['pf-d']);
  // docker ps --no-trunc: the whole id under CONTAINER ID
  const full = lines((await p.skiff(['ps', '--no-trunc'])).stdout);
  assert.match(full[0], /^CONTAINER ID {55}IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
  assert.match(full[1], new RegExp(`^${id} +\\S+ +"sleep 300" +.+ +pf-d$`));
  // docker ps -s: "… NAMES     SIZE" and "pf-d      0B (virtual 1.99MB)"
  const sized = lines((await p.skiff(['ps', '-s'])).stdout);
  assert.match(sized[0], /NAMES +SIZE$/);
  assert.match(sized[1], /pf-d +\d+(\.\d+)?k?B \(virtual \d+(\.\d+)?[kM]B\)$/);
  // docker ps --format '{{json .}}' (Docker 20.10's also has "Platform":null); Size is filled in as for -s
  const json = JSON.parse((await p.skiff(['ps', '--format', '{{json .}}'])).stdout) as Record<string, string>;
  assert.equal(Object.keys(json).filter((k) => k !== 'Platform').sort(),
    ['Command', 'CreatedAt', 'ID', 'Image', 'Labels', 'LocalVolumes', 'Mounts', 'Names', 'Networks', 'Ports', 'RunningFor', 'Size', 'State', 'Status']);
  assert.equal([json.ID, json.Names, json.Command, json.Labels, json.State, json.Networks], [id.slice(0, 12), 'pf-d', '"sleep 300"', 'k=v', 'running', 'bridge']);
  assert.match(json.CreatedAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+0000 UTC$/);
  assert.match(json.Size, /^\d+(\.\d+)?k?B \(virtual [1-9]/);
  // docker ps -a --format 'table {{.Names}}\t{{.Status}}'
  const table = (await p.skiff(['ps', '-a', '--format', 'table {{.Names}}\t{{.Status}}'])).stdout.split('\n');
  assert.is(table[0], 'NAMES     STATUS');
  assert.match(table[1], /^pf-d      Up /);
  assert.is(table[2], 'pf-c      Created');
  assert.match(table[3], /^pf-b      Exited \(0\) .+ ago$/);
  assert.match(table[4], /^pf-a      Exited \(3\) .+ ago$/);
  assert.is((await p.skiff(['rm', '-f', 'pf-a', 'pf-b', 'pf-c', 'pf-d'])).code, 0);
});

test('logs --since and --until (durations and RFC 3339), --tail 0, -t', async () => {
  const d = await s.skiff(['run', '-d', '--name', 'lg', bb, 'sh', '-c', 'echo one; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo two; echo two-err >&2; exec sleep 300']);
  assert.is(d.code, 0, d.stderr);
  await until(async () => (await s.skiff(['logs', 'lg'])).stdout === 'one\n', 5000, 'one');
  await sleep(1100);
  const between = new Date().toISOString();
  await sleep(50);
  await s.skiff(['exec', 'lg', 'touch', '/tmp/go']);
  await until(async () => (await s.skiff(['logs', 'lg'])).stdout === 'one\ntwo\n', 5000, 'two');
  // docker logs --since 1s / --since RFC3339 between the two: "two" and "two-err" only
  for (const since of ['1s', between]) {
    const r = await s.skiff(['logs', '--since', since, 'lg']);
    assert.equal([r.stdout, r.stderr], ['two\n', 'two-err\n'], `--since ${since}`);
  }
  // docker logs --until 1s / --until RFC3339 between the two: "one" only
  for (const until_ of ['1s', between]) {
    const r = await s.skiff(['logs', '--until', until_, 'lg']);
    assert.equal([r.stdout, r.stderr], ['one\n', ''], `--until ${until_}`);
  }
  assert.is((await s.skiff(['logs', '--since', '1h', 'lg'])).stdout, 'one\ntwo\n');
  assert.is((await s.skiff(['logs', '--until', '1h', 'lg'])).stdout, '');
  // docker logs --tail 0: nothing at all, exit 0
  const none = await s.skiff(['logs', '--tail', '0', 'lg']);
  assert.equal([none.code, none.stdout, none.stderr], [0, '', '']);
  // docker logs -t --tail 1: "2026-11-24T11:29:03.358971567Z two-err" (RFC 3339 with nanoseconds)
  const stamped = await s.skiff(['logs', '-t', '--tail', '1', 'lg']);
  assert.match(stamped.stderr, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z two-err\n$/);
  // docker logs --since bogus: 'invalid value for "since": failed to parse value as time or duration: "bogus"', exit 1
  const bad = await s.skiff(['logs', '--since', 'bogus', 'lg']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /invalid value for "since": failed to parse value as time or duration: "bogus"/);
  await s.skiff(['rm', '-f', 'lg']);
});

test('-e KEY and --env-file: comments, blank lines, values kept as written, KEY alone copies the caller\'s', async () => {
  const file = s.writeFile('env.list', '# a comment\n\nA=1\n  B=two words\nPASSME\nUNSET_X\nC=\n   # indented comment\nD="quoted"\nE=x=y\r\n');
  const r = await s.skiff(['run', '--rm', '--env-file', file, '-e', 'PASS2', '-e', 'NOTSET', bb, 'env'], { env: { PASSME: 'from-caller', PASS2: 'p2' } });
  assert.is(r.code, 0, r.stderr);
  // docker run --env-file … -e PASS2 -e NOTSET: A=1, B=two words, C=, D="quoted", E=x=y, PASS2=p2, PASSME=from-caller
  const seen = lines(r.stdout).filter((l) => /^(A|B|C|D|E|PASSME|PASS2|UNSET_X|NOTSET)=/.test(l)).sort();
  assert.equal(seen, ['A=1', 'B=two words', 'C=', 'D="quoted"', 'E=x=y', 'PASS2=p2', 'PASSME=from-caller']);
  // Config.Env as Docker stores it: the user's variables first, then the image's (no HOSTNAME, HOME or TERM)
  const c = await s.skiff(['create', '-t', '-e', 'FOO=bar', bb, 'true']);
  assert.equal(JSON.parse(await inspect(s, c.stdout.trim(), '{{json .Config.Env}}')), ['FOO=bar', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  await s.skiff(['rm', c.stdout.trim()]);
  // docker run --env-file BAD: "invalid env file (BAD): variable 'BAD KEY' contains whitespaces", exit 125
  const badKey = await s.skiff(['run', '--rm', '--env-file', s.writeFile('bad.list', 'BAD KEY=1\n'), bb, 'true']);
  assert.is(badKey.code, 125);
  assert.match(badKey.stderr, /invalid env file \(.*bad\.list\): variable 'BAD KEY' contains whitespaces/);
  const noName = await s.skiff(['run', '--rm', '--env-file', s.writeFile('noname.list', '=nokey\n'), bb, 'true']);
  assert.is(noName.code, 125);
  assert.match(noName.stderr, /invalid env file \(.*noname\.list\): no variable name on line '=nokey'/);
});

test('--env-file with a missing file fails as Docker\'s does', async () => {
  // docker run --env-file MISSING: "open MISSING: no such file or directory", exit 125. (Node's own
  // --env-file scan of the arguments once got there first and exited 9: the build's SEA execArgv
  // ends Node's options with "--".)
  const missing = await s.skiff(['run', '--rm', '--env-file', `${s.tmp}/nosuch.list`, bb, 'true']);
  assert.is(missing.code, 125, missing.stderr);
  assert.match(missing.stderr, new RegExp(`open ${s.tmp}/nosuch\\.list: no such file or directory`));
});

test('NODE_OPTIONS, from the caller or an --env-file, is the container\'s business, never skiff\'s', async () => {
  // skiff is a program, not a Node.js runtime: a developer's NODE_OPTIONS (here a preload that does
  // not exist, which would make Node fail) changes nothing, and an env file's NODE_OPTIONS reaches
  // only the container (Node reads NODE_OPTIONS from --env-file files itself).
  const marker = `${s.tmp}/preloaded`;
  const preload = s.writeFile('preload.js', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'ran')\n`);
  const caller = await s.skiff(['run', '--rm', bb, 'echo', 'ok'], { env: { NODE_OPTIONS: '--require /nonexistent/ts-node/register' } });
  assert.equal([caller.code, caller.stdout], [0, 'ok\n'], caller.stderr);
  const file = s.writeFile('node.env', `NODE_OPTIONS=--require ${preload}\n`);
  const r = await s.skiff(['run', '--rm', '--env-file', file, bb, 'sh', '-c', 'echo "$NODE_OPTIONS"']);
  assert.equal([r.code, r.stdout], [0, `--require ${preload}\n`], r.stderr);
  assert.not.ok(existsSync(marker), 'skiff ran the env file\'s NODE_OPTIONS preload');
});

test('--pull never|missing|always with run and create', async () => {
  const other = env.images.busyboxV2s2;
  await s.skiff(['rmi', '-f', other]);
  // docker run --pull never (not local): "docker: Error response from daemon: No such image: REF", exit 125
  const never = await s.skiff(['run', '--rm', '--pull', 'never', other, 'true']);
  assert.is(never.code, 125);
  assert.match(never.stderr, new RegExp(`No such image: ${other.replace(/[.]/g, '\\.')}`));
  // docker create --pull never: the same message, but create exits 1 for what its daemon refuses
  const createNever = await s.skiff(['create', '--pull', 'never', other, 'true']);
  assert.is(createNever.code, 1);
  assert.match(createNever.stderr, /No such image/);
  // docker create --pull bogus: 'invalid pull option: 'bogus': must be one of "always", "missing" or "never"', exit 125
  const bogus = await s.skiff(['create', '--pull', 'bogus', bb, 'true']);
  assert.is(bogus.code, 125);
  assert.match(bogus.stderr, /invalid pull option: 'bogus': must be one of "always", "missing" or "never"/);
  // docker run --pull missing: "Unable to find image 'REF' locally", progress, Digest, Status on stderr; stdout is the container's
  const missing = await s.skiff(['run', '--rm', '--pull', 'missing', other, 'echo', 'pulled-ok']);
  assert.is(missing.code, 0, missing.stderr);
  assert.is(missing.stdout, 'pulled-ok\n');
  assert.match(missing.stderr, new RegExp(`^Unable to find image '${other.replace(/[.]/g, '\\.')}' locally\\n`));
  assert.match(missing.stderr, /\nDigest: sha256:[0-9a-f]{64}\nStatus: Downloaded newer image for .*busybox:v2s2\n$/);
  // docker run --pull always (already local): "Status: Image is up to date for REF", no "Unable to find"
  const always = await s.skiff(['run', '--rm', '--pull', 'always', other, 'echo', 'always-ok']);
  assert.is(always.stdout, 'always-ok\n', always.stderr);
  assert.not.match(always.stderr, /Unable to find/);
  assert.match(always.stderr, /Status: Image is up to date for .*busybox:v2s2\n$/);
  // docker create --pull missing (now local): no pull output at all
  const local = await s.skiff(['create', other, 'true']);
  assert.is(local.stderr, '');
  await s.skiff(['rm', local.stdout.trim()]);
});

test('--platform linux/arm64 pulls and runs the arm64 image of an index; a mismatch with --pull never is refused', async () => {
  const multi = env.images.multiarch;
  await s.skiff(['rmi', '-f', multi]);
  // docker run --rm --platform linux/arm64 multiarch cat /arch: "arm64" (the fixture's arm64 image holds amd64 binaries)
  const arm = await s.skiff(['run', '--rm', '--platform', 'linux/arm64', multi, 'cat', '/arch']);
  assert.is(arm.stdout, 'arm64\n', arm.stderr);
  assert.match(arm.stderr, /Unable to find image/);
  assert.is((await s.skiff(['image', 'inspect', '-f', '{{.Architecture}} {{.Os}}', multi])).stdout, 'arm64 linux\n');
  // docker run multiarch (no --platform): "WARNING: The requested image's platform (linux/arm64) does not match the
  // detected host platform (linux/amd64) and no specific platform was requested"
  if (process.arch === 'x64') {
    const warned = await s.skiff(['run', '--rm', multi, 'cat', '/arch']);
    assert.is(warned.stdout, 'arm64\n');
    assert.match(warned.stderr, /^WARNING: The requested image's platform \(linux\/arm64\) does not match the detected host platform \(linux\/amd64\) and no specific platform was requested\n$/);
  }
  // docker run --platform linux/amd64 --pull never (arm64 local): "image with reference REF was found but does not
  // match the specified platform: wanted linux/amd64, actual: linux/arm64", exit 125 (create: exit 1)
  const never = await s.skiff(['run', '--rm', '--platform', 'linux/amd64', '--pull', 'never', multi, 'cat', '/arch']);
  assert.is(never.code, 125);
  assert.match(never.stderr, /was found but does not match the specified platform: wanted linux\/amd64, actual: linux\/arm64/);
  // docker run --platform linux/amd64 (missing policy): the local arm64 image does not count, amd64 is pulled
  const amd = await s.skiff(['run', '--rm', '--platform', 'linux/amd64', multi, 'cat', '/arch']);
  assert.is(amd.stdout, 'amd64\n', amd.stderr);
  assert.match(amd.stderr, /Unable to find image/);
});

test('a command the kernel cannot execute: Docker\'s container says "exec /x: exec format error" and exits 1', async () => {
  // An aarch64 ELF header: on this (non-arm64) host, execve fails with ENOEXEC after runc found the file.
  if (process.arch === 'arm64') return;
  const header = Buffer.alloc(120);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(header);
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(183, 18); // EM_AARCH64
  header.writeUInt32LE(1, 20);
  header.writeUInt16LE(64, 52);
  const c = await s.skiff(['create', '--name', 'armbin', bb, '/armbin']);
  assert.is(c.code, 0, c.stderr);
  s.writeFile(`home/.local/share/skiff/containers/${c.stdout.trim()}/upper/armbin`, header, 0o755);
  // docker start -a: "exec /armbin: exec format error" on stderr, exit 1; State.ExitCode 1; the line is in the logs.
  // (runc reports this execve failure from inside the started container, unlike LookPath's 126/127.)
  const r = await s.skiff(['start', '-a', 'armbin']);
  assert.match(r.stderr, /exec \/armbin: exec format error/);
  assert.is(r.code, 1, r.stderr);
  assert.is(await inspect(s, 'armbin', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 1');
  // docker start (detached): prints the name, exit 0; the container exits 1
  const detached = await s.skiff(['start', 'armbin']);
  assert.is(detached.code, 0, detached.stderr);
  await until(async () => (await inspect(s, 'armbin', '{{.State.Status}}')) === 'exited', 5000, 'exited');
  assert.is(await inspect(s, 'armbin', '{{.State.ExitCode}}'), '1');
  assert.match((await s.skiff(['logs', 'armbin'])).stderr, /exec \/armbin: exec format error/);
  await s.skiff(['rm', '-f', 'armbin']);
});

test('start -i and start -a of a created container', async () => {
  const c = await s.skiff(['create', '-i', '--name', 'si', bb, 'sh', '-c', 'read x; echo got $x; exit 5']);
  assert.is(c.code, 0, c.stderr);
  // echo hello | docker start -i si: "got hello", exit 5; again with -ai
  const i = await s.skiff(['start', '-i', 'si'], { input: 'hello\n' });
  assert.equal([i.code, i.stdout], [5, 'got hello\n'], i.stderr);
  const ai = await s.skiff(['start', '-ai', 'si'], { input: 'again\n' });
  assert.equal([ai.code, ai.stdout], [5, 'got again\n'], ai.stderr);
  // docker start -a of a container created without -i: its output, its code; stdin is not given to it
  await s.skiff(['create', '--name', 'sa', bb, 'sh', '-c', 'cat; echo end; exit 2']);
  const a = await s.skiff(['start', '-a', 'sa'], { input: 'not-read\n' });
  assert.equal([a.code, a.stdout], [2, 'end\n'], a.stderr);
  await s.skiff(['rm', 'si', 'sa']);
});

test('output is kept when the container exits while stdin is still being sent', async () => {
  // The container reads one line and exits while the CLI still sends megabytes of stdin; docker run
  // -i prints "got first" and exits 3 every time. (The monitor once closed the attach connection
  // right after the exit frame: the CLI's next stdin write failed with EPIPE and what it had not
  // yet read, the output, was lost.)
  const input = Buffer.concat([Buffer.from('first\n'), Buffer.alloc(4_000_000, 'x')]);
  for (let i = 0; i < 6; i += 1) {
    const r = await s.skiff(['run', '--rm', '-i', bb, 'sh', '-c', 'read x; echo got $x; exit 3'], { input });
    assert.equal([r.code, r.stdout], [3, 'got first\n'], `attempt ${i + 1}: ${r.stderr}`);
  }
});

test('wait on several containers, kill -s HUP and -s 1, restart of a stopped container', async () => {
  const a = (await s.skiff(['run', '-d', bb, 'sh', '-c', 'sleep 0.3; exit 3'])).stdout.trim();
  const b = (await s.skiff(['run', '-d', bb, 'sh', '-c', 'sleep 0.6; exit 4'])).stdout.trim();
  // docker wait A B: "3\n4\n", exit 0; docker wait A nosuch B: "3\n4\n" and "No such container: nosuch", exit 1
  const w = await s.skiff(['wait', a, b]);
  assert.equal([w.code, w.stdout], [0, '3\n4\n'], w.stderr);
  const wm = await s.skiff(['wait', a, 'nosuch', b]);
  assert.equal([wm.code, wm.stdout], [1, '3\n4\n']);
  assert.match(wm.stderr, /No such container: nosuch/);
  await s.skiff(['rm', a, b]);
  await s.skiff(['run', '-d', '--name', 'kh', bb, 'sh', '-c', 'trap "echo hup; exit 21" HUP; while true; do sleep 0.1; done']);
  await sleep(300);
  // docker kill -s 1 kh: "kh"; docker wait kh: 21; logs "hup"
  assert.is((await s.skiff(['kill', '-s', '1', 'kh'])).stdout, 'kh\n');
  assert.is((await s.skiff(['wait', 'kh'])).stdout, '21\n');
  assert.is((await s.skiff(['logs', 'kh'])).stdout, 'hup\n');
  await s.skiff(['start', 'kh']);
  await sleep(300);
  assert.is((await s.skiff(['kill', '-s', 'SIGHUP', 'kh'])).code, 0);
  assert.is((await s.skiff(['wait', 'kh'])).stdout, '21\n');
  // docker kill -s NOPE: "Invalid signal: NOPE", exit 1
  const bad = await s.skiff(['kill', '-s', 'NOPE', 'kh']);
  assert.is(bad.code, 1);
  assert.match(bad.stderr, /Invalid signal: NOPE/);
  // docker restart of an exited container: "kh", exit 0, running again
  const r = await s.skiff(['restart', 'kh']);
  assert.equal([r.code, r.stdout], [0, 'kh\n'], r.stderr);
  assert.is(await inspect(s, 'kh', '{{.State.Running}}'), 'true');
  await s.skiff(['rm', '-f', 'kh']);
});

test('top with ps options, port without published ports', async () => {
  await s.skiff(['run', '-d', '--name', 'tp', bb, 'sleep', '300']);
  const pid = await inspect(s, 'tp', '{{.State.Pid}}');
  // docker top tp -o pid,comm: "PID                 COMMAND" / "16428               sleep" (columns at least 20 wide)
  const top = await s.skiff(['top', 'tp', '-o', 'pid,comm']);
  assert.is(top.stdout, `PID                 COMMAND\n${pid.padEnd(20)}sleep\n`, top.stderr);
  // docker top tp -o comm: "Error response from daemon: Couldn't find PID field in ps output", exit 1
  const noPid = await s.skiff(['top', 'tp', '-o', 'comm']);
  assert.is(noPid.code, 1);
  assert.match(noPid.stderr, /Couldn't find PID field in ps output/);
  // docker top tp -bogus: "Error response from daemon: ps: error: unsupported SysV option" (ps's first line), exit 1
  const badOpt = await s.skiff(['top', 'tp', '-bogus']);
  assert.is(badOpt.code, 1);
  assert.match(badOpt.stderr, /^Error: ps: error: unsupported SysV option\n$/);
  // docker port tp: nothing, exit 0; docker port tp 80: "Error: No public port '80' published for tp", exit 1
  const none = await s.skiff(['port', 'tp']);
  assert.equal([none.code, none.stdout, none.stderr], [0, '', '']);
  const p80 = await s.skiff(['port', 'tp', '80']);
  assert.equal([p80.code, p80.stderr], [1, "Error: No public port '80' published for tp\n"]);
  const udp = await s.skiff(['port', 'tp', '80/udp']);
  assert.match(udp.stderr, /No public port '80\/udp' published for tp/);
  assert.is((await s.skiff(['port', 'nosuch'])).code, 1);
  // docker top of a stopped container: "Container ID is not running", exit 1
  await s.skiff(['stop', '-t', '0', 'tp']);
  const stopped = await s.skiff(['top', 'tp']);
  assert.is(stopped.code, 1);
  assert.match(stopped.stderr, /Container [0-9a-f]{64} is not running/);
  await s.skiff(['rm', 'tp']);
});

test('inspect: the fields scripts read, and several objects with one missing', async () => {
  const before = Date.now();
  const d = await s.skiff(['run', '-d', '--name', 'insp', '-e', 'FOO=bar', '--restart', 'unless-stopped', bb, 'sh', '-c', 'sleep 300']);
  const id = d.stdout.trim();
  // docker inspect -f …: true 0 ["FOO=bar","PATH=…"] ["sh","-c","sleep 300"] REF unless-stopped /insp 64 0
  assert.is(await inspect(s, 'insp', '{{.State.Running}} {{.State.ExitCode}} {{.Config.Image}} {{.HostConfig.RestartPolicy.Name}} {{.Name}} {{.Id}} {{.RestartCount}}'),
    `true 0 ${bb} unless-stopped /insp ${id} 0`);
  assert.equal(JSON.parse(await inspect(s, 'insp', '{{json .Config.Env}}')), ['FOO=bar', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  assert.equal(JSON.parse(await inspect(s, 'insp', '{{json .Config.Cmd}}')), ['sh', '-c', 'sleep 300']);
  // docker: "2026-11-24T11:42:10.58974668Z"
  const created = await inspect(s, 'insp', '{{.Created}}');
  assert.match(created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
  assert.ok(Date.parse(created) >= before - 1000 && Date.parse(created) <= Date.now(), created);
  // docker inspect insp nosuch: a JSON array with insp alone on stdout, "Error: No such object: nosuch", exit 1
  const two = await s.skiff(['inspect', 'insp', 'nosuch']);
  assert.is(two.code, 1);
  const items = JSON.parse(two.stdout) as Array<{ Id: string; Name: string; State: { Running: boolean } }>;
  assert.equal(items.map((i) => [i.Id, i.Name, i.State.Running]), [[id, '/insp', true]]);
  assert.match(two.stderr, /No such object: nosuch/);
  // docker inspect -f '{{.Name}}' insp nosuch insp: "/insp\n/insp\n", exit 1
  const fmt = await s.skiff(['inspect', '-f', '{{.Name}}', 'insp', 'nosuch', 'insp']);
  assert.equal([fmt.code, fmt.stdout], [1, '/insp\n/insp\n']);
  // after docker stop -t 0: false 137
  await s.skiff(['stop', '-t', '0', 'insp']);
  assert.is(await inspect(s, 'insp', '{{.State.Running}} {{.State.ExitCode}}'), 'false 137');
  await s.skiff(['rm', 'insp']);
});

test.run();
