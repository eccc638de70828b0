// Running containers as the unprivileged user: run/create/start/stop/kill/rm/ps/logs/exec/wait/inspect
// and friends, exit codes, restart policies, the monitor, state truth, a real pty.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadEnv } from '../lib/env';
import { inspect, sleep, until } from '../lib/wait';
import { newSession, skiffBinary, type Session } from '../lib/skiff';

const env = loadEnv();
const bb = env.images.busybox;
let s: Session;


test.before(async () => {
  s = newSession();
  await s.pull(bb);
});

test.after(() => s.removeAllContainers());

test('run prints the output and exits with the container\'s code', async () => {
  const r = await s.skiff(['run', '--rm', bb, 'echo', 'hello from skiff']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'hello from skiff\n');
  const three = await s.skiff(['run', '--rm', bb, 'sh', '-c', 'echo to-err >&2; exit 3']);
  assert.is(three.code, 3);
  assert.is(three.stderr, 'to-err\n');
});

test('exit codes 125/126/127 with Docker\'s messages', async () => {
  const notFound = await s.skiff(['run', '--rm', bb, 'nosuchcmd']);
  assert.is(notFound.code, 127, notFound.stderr);
  assert.match(notFound.stderr, /exec: "nosuchcmd": executable file not found in \$PATH/);
  const notExec = await s.skiff(['run', '--rm', bb, '/etc/passwd']);
  assert.is(notExec.code, 126, notExec.stderr);
  assert.match(notExec.stderr, /exec: "\/etc\/passwd": permission denied/);
  const badUser = await s.skiff(['run', '--rm', '-u', 'nosuch', bb, 'true']);
  assert.is(badUser.code, 125);
  assert.match(badUser.stderr, /unable to find user nosuch: no matching entries in passwd file/);
  const badFlag = await s.skiff(['run', '--bogus', bb]);
  assert.is(badFlag.code, 125);
  const noImage = await s.skiff(['run', '--rm', '--pull', 'never', `${env.registry}/skiff-test/none:1`, 'true']);
  assert.is(noImage.code, 125);
  assert.not.match(notFound.stderr + notExec.stderr + badUser.stderr, /\n\s+at /);
});

test('the container sees its own hostname, pid namespace, root, and the options given', async () => {
  const r = await s.skiff(['run', '--rm', '--hostname', 'boat', '-e', 'A=1', '-w', '/tmp/work', '--add-host', 'db:10.1.2.3', bb,
    'sh', '-c', 'hostname; echo $A; pwd; id -u; echo $$; grep db /etc/hosts; ls /proc | grep -c "^[0-9]"']);
  assert.is(r.code, 0, r.stderr);
  const [host, a, pwd, uid, pid, hosts, nprocs] = r.stdout.trim().split('\n');
  assert.is(host, 'boat');
  assert.is(a, '1');
  assert.is(pwd, '/tmp/work');
  assert.is(uid, '0');
  assert.is(pid, '1');
  assert.match(hosts, /^10\.1\.2\.3\s+db$/);
  assert.ok(Number(nprocs) <= 3, `only the container's processes are visible (${nprocs})`);
  const user = await s.skiff(['run', '--rm', '-u', 'nobody', bb, 'id']);
  assert.match(user.stdout, /uid=65534\(nobody\) gid=65534\(nobody\)/);
  const ro = await s.skiff(['run', '--rm', '--read-only', bb, 'touch', '/x']);
  assert.is(ro.code, 1);
  assert.match(ro.stderr, /Read-only file system/);
  const ul = await s.skiff(['run', '--rm', '--ulimit', 'nofile=100:200', bb, 'sh', '-c', 'ulimit -n; ulimit -Hn']);
  assert.is(ul.stdout, '100\n200\n');
  const ep = await s.skiff(['run', '--rm', '--entrypoint', 'echo', bb, 'via', 'entrypoint']);
  assert.is(ep.stdout, 'via entrypoint\n');
  const init = await s.skiff(['run', '--rm', '--init', bb, 'ps', '-o', 'pid,comm']);
  assert.match(init.stdout, /\n\s*1\s+docker-init\n/);
});

test('run -d, ps, inspect, exec, logs, stop, rm', async () => {
  const d = await s.skiff(['run', '-d', '--name', 'web', '--label', 'tier=front', bb, 'sh', '-c', 'echo started; echo warn >&2; echo data > /tmp/f; exec sleep 300']);
  assert.is(d.code, 0, d.stderr);
  assert.match(d.stdout, /^[0-9a-f]{64}\n$/);
  const id = d.stdout.trim();
  const ps = await s.skiff(['ps']);
  const [header, row] = ps.stdout.split('\n');
  assert.match(header, /^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$/);
  assert.match(row, new RegExp(`^${id.slice(0, 12)} +${bb.replace(/[.]/g, '\\.')} +"sh -c 'echo started…" +.+ago +Up .+ +web$`));
  assert.is(await inspect(s, 'web', '{{.State.Status}} {{.State.Running}} {{.Name}} {{index .Config.Labels "tier"}}'), 'running true /web front');
  const pid = Number(await inspect(s, 'web', '{{.State.Pid}}'));
  assert.ok(pid > 1 && existsSync(`/proc/${pid}`));
  // exec sees the container's processes, hostname and files
  const ex = await s.skiff(['exec', 'web', 'sh', '-c', 'cat /tmp/f; hostname; ps -o pid,comm | grep -c sleep; exit 5']);
  assert.is(ex.code, 5, ex.stderr);
  assert.equal(ex.stdout.trim().split('\n'), ['data', id.slice(0, 12), '1']);
  const exEnv = await s.skiff(['exec', '-e', 'X=2', '-w', '/tmp', '-u', 'nobody', 'web', 'sh', '-c', 'echo $X $(pwd) $(id -u)']);
  assert.is(exEnv.stdout, '2 /tmp 65534\n');
  // Docker 20.10 + runc: every failure to start an exec process is 126, "not found" included.
  const ex126 = await s.skiff(['exec', 'web', 'nosuch']);
  assert.is(ex126.code, 126);
  assert.match(ex126.stderr, /exec: "nosuch": executable file not found in \$PATH/);
  await until(async () => (await s.skiff(['logs', 'web'])).stdout === 'started\n', 5000, 'logs');
  const logs = await s.skiff(['logs', 'web']);
  assert.is(logs.stdout, 'started\n');
  assert.is(logs.stderr, 'warn\n');
  const ts = await s.skiff(['logs', '-t', 'web']);
  assert.match(ts.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z started\n$/);
  const top = await s.skiff(['top', 'web']);
  assert.is(top.code, 0, top.stderr);
  assert.match(top.stdout, /sleep 300/);
  const rmRunning = await s.skiff(['rm', 'web']);
  assert.is(rmRunning.code, 1);
  assert.match(rmRunning.stderr, /You cannot remove a running container/);
  // sleep as pid 1 ignores SIGTERM: stop waits for the timeout, then SIGKILL (137)
  const t0 = Date.now();
  const stop = await s.skiff(['stop', '-t', '1', 'web']);
  assert.is(stop.code, 0, stop.stderr);
  assert.is(stop.stdout, 'web\n');
  assert.ok(Date.now() - t0 >= 1000, 'waited for the stop timeout');
  assert.is(await inspect(s, 'web', '{{.State.Status}} {{.State.ExitCode}}'), 'exited 137');
  const psa = await s.skiff(['ps', '-a', '--filter', 'name=web', '--format', '{{.Status}}']);
  assert.match(psa.stdout, /^Exited \(137\) .* ago\n$/);
  const rm = await s.skiff(['rm', 'web']);
  assert.is(rm.code, 0, rm.stderr);
  assert.is((await s.skiff(['inspect', 'web'])).code, 1);
  assert.not.ok(existsSync(join(s.dataHome, 'skiff', 'containers', id)), 'container dir removed');
});

test('stop sends the stop signal first; a handler makes it exit at once', async () => {
  const d = await s.skiff(['run', '-d', bb, 'sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done']);
  const id = d.stdout.trim();
  const t0 = Date.now();
  assert.is((await s.skiff(['stop', id])).code, 0);
  assert.ok(Date.now() - t0 < 5000, 'no 10 s timeout when the process exits on SIGTERM');
  assert.is(await inspect(s, id, '{{.State.ExitCode}}'), '7');
  const w = await s.skiff(['wait', id]);
  assert.is(w.stdout, '7\n');
});

test('kill -s, wait, start, restart, rename', async () => {
  const d = await s.skiff(['run', '-d', '--name', 'k1', bb, 'sh', '-c', 'trap "exit 9" USR1; while true; do sleep 0.1; done']);
  assert.is(d.code, 0, d.stderr);
  const waiter = s.skiff(['wait', 'k1']);
  await sleep(300);
  assert.is((await s.skiff(['kill', '-s', 'USR1', 'k1'])).code, 0);
  assert.is((await waiter).stdout, '9\n');
  const notRunning = await s.skiff(['kill', 'k1']);
  assert.is(notRunning.code, 1);
  assert.match(notRunning.stderr, /is not running/);
  assert.is((await s.skiff(['start', 'k1'])).stdout, 'k1\n');
  assert.is(await inspect(s, 'k1', '{{.State.Running}}'), 'true');
  assert.is((await s.skiff(['restart', '-t', '0', 'k1'])).code, 0);
  assert.is(await inspect(s, 'k1', '{{.State.Running}}'), 'true');
  assert.is((await s.skiff(['rename', 'k1', 'k2'])).code, 0);
  assert.is(await inspect(s, 'k2', '{{.Name}}'), '/k2');
  assert.is((await s.skiff(['rm', '-f', 'k2'])).code, 0);
});

test('create then start -a; --cidfile', async () => {
  const cid = join(s.tmp, 'cid');
  const c = await s.skiff(['create', '--cidfile', cid, bb, 'echo', 'created-then-started']);
  assert.is(c.code, 0, c.stderr);
  const id = c.stdout.trim();
  assert.is(readFileSync(cid, 'utf8'), id);
  assert.is(await inspect(s, id, '{{.State.Status}}'), 'created');
  const ps = await s.skiff(['ps', '-a', '--filter', `id=${id}`, '--format', '{{.Status}}']);
  assert.is(ps.stdout, 'Created\n');
  const st = await s.skiff(['start', '-a', id]);
  assert.is(st.code, 0, st.stderr);
  assert.is(st.stdout, 'created-then-started\n');
  await s.skiff(['rm', id]);
});

test('--restart on-failure:2 restarts twice, then stays exited', async () => {
  const d = await s.skiff(['run', '-d', '--restart', 'on-failure:2', bb, 'sh', '-c', 'echo run; exit 1']);
  assert.is(d.code, 0, d.stderr);
  const id = d.stdout.trim();
  await until(async () => (await inspect(s, id, '{{.State.Status}} {{.RestartCount}}')) === 'exited 2', 15_000, 'two restarts');
  assert.is(await inspect(s, id, '{{.State.ExitCode}}'), '1');
  assert.is((await s.skiff(['logs', id])).stdout, 'run\nrun\nrun\n');
  await s.skiff(['rm', id]);
});

test('when run and start -a return, the exit is recorded: rm and inspect right after see it', async () => {
  for (let i = 0; i < 5; i++) {
    const r = await s.skiff(['run', '--name', `quick${i}`, bb, 'sh', '-c', `exit ${i}`]);
    assert.is(r.code, i);
    assert.is(await inspect(s, `quick${i}`, '{{.State.Status}} {{.State.ExitCode}}'), `exited ${i}`);
    const rm = await s.skiff(['rm', `quick${i}`]);
    assert.is(rm.code, 0, rm.stderr);
  }
});

test('--rm removes the container after it exits, detached or not', async () => {
  const fg = await s.skiff(['run', '--rm', '--name', 'gone1', bb, 'true']);
  assert.is(fg.code, 0, fg.stderr);
  await until(async () => (await s.skiff(['inspect', 'gone1'])).code === 1, 5000, 'gone1 removed');
  const d = await s.skiff(['run', '-d', '--rm', '--name', 'gone2', bb, 'sleep', '0.2']);
  assert.is(d.code, 0, d.stderr);
  await until(async () => (await s.skiff(['inspect', 'gone2'])).code === 1, 5000, 'gone2 removed');
});

test('logs across rotation: max-size and max-file keep the newest lines', async () => {
  const d = await s.skiff(['run', '-d', '--log-opt', 'max-size=2k', '--log-opt', 'max-file=3', bb, 'sh', '-c', 'i=0; while [ $i -lt 400 ]; do echo line-$i; i=$((i+1)); done']);
  const id = d.stdout.trim();
  assert.is((await s.skiff(['wait', id])).stdout, '0\n');
  const dir = join(s.dataHome, 'skiff', 'containers', id);
  const files = readdirSync(dir).filter((n) => n.startsWith(`${id}-json.log`));
  assert.is(files.length, 3, files.join(' '));
  const logs = (await s.skiff(['logs', id])).stdout.trim().split('\n');
  assert.is(logs[logs.length - 1], 'line-399');
  assert.ok(logs.length < 400 && logs.length > 50, `${logs.length} lines kept`);
  for (let i = 1; i < logs.length; i++) assert.is(Number(logs[i].slice(5)), Number(logs[i - 1].slice(5)) + 1, 'no gap, in order');
  assert.is((await s.skiff(['logs', '--tail', '2', id])).stdout, 'line-398\nline-399\n');
  const none = await s.skiff(['run', '-d', '--log-driver', 'none', bb, 'echo', 'x']);
  await s.skiff(['wait', none.stdout.trim()]);
  const nl = await s.skiff(['logs', none.stdout.trim()]);
  assert.is(nl.code, 1);
  assert.match(nl.stderr, /does not support reading/);
});

test('logs -f follows until the container exits', async () => {
  const d = await s.skiff(['run', '-d', bb, 'sh', '-c', 'for i in 1 2 3; do echo tick-$i; sleep 0.3; done']);
  const r = await s.skiff(['logs', '-f', d.stdout.trim()]);
  assert.is(r.stdout, 'tick-1\ntick-2\ntick-3\n');
});

test('run -it drives a shell through a real pty', async () => {
  const script = `
import os, pty, sys, time, select
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
def read_until(token, timeout=20):
    global out
    end = time.time() + timeout
    while time.time() < end and token not in out:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try: out += os.read(fd, 4096)
            except OSError: break
    return token in out
ok1 = read_until(b'#')
os.write(fd, b'echo pty-$((20+22)); tty\\r')
ok2 = read_until(b'pty-42') and read_until(b'/dev/pts/')
os.write(fd, b'exit 3\\r')
_, status = os.waitpid(pid, 0)
print(ok1, ok2, os.waitstatus_to_exitcode(status))
sys.stderr.write(out.decode(errors='replace'))
`;
  const r = await s.run(['python3', '-c', script, skiffBinary(), 'run', '-it', '--rm', bb, 'sh'], { timeoutMs: 60_000 });
  assert.is(r.stdout.trim(), 'True True 3', r.stderr);
});

test('20 run -d in parallel all succeed with unique names', async () => {
  const results = await Promise.all(Array.from({ length: 20 }, () => s.skiff(['run', '-d', bb, 'sleep', '60'])));
  for (const r of results) assert.is(r.code, 0, r.stderr);
  const names = (await s.skiff(['ps', '--format', '{{.Names}}'])).stdout.trim().split('\n');
  assert.is(new Set(names).size, names.length);
  assert.ok(names.length >= 20);
  const rm = await s.skiff(['rm', '-f', ...results.map((r) => r.stdout.trim())]);
  assert.is(rm.code, 0, rm.stderr);
});

test('100 containers running at once, then all removed', async () => {
  const ids: string[] = [];
  for (let batch = 0; batch < 10; batch++) {
    const rs = await Promise.all(Array.from({ length: 10 }, () => s.skiff(['run', '-d', bb, 'sleep', '300'])));
    for (const r of rs) {
      assert.is(r.code, 0, r.stderr);
      ids.push(r.stdout.trim());
    }
  }
  const running = (await s.skiff(['ps', '-q', '--no-trunc'])).stdout.trim().split('\n').filter(Boolean);
  assert.is(running.filter((id) => ids.includes(id)).length, 100);
  const strays = (await s.skiff(['ps', '--format', '{{.ID}} {{.Names}} {{.Command}} {{.Status}}'])).stdout.split('\n').filter((l) => l && !ids.some((id) => id.startsWith(l.split(' ')[0])));
  assert.equal(strays, []);
  assert.is(running.length, 100);
  const rm = await s.skiff(['rm', '-f', ...ids]);
  assert.is(rm.code, 0, rm.stderr);
  const left = (await s.skiff(['ps', '-aq', '--no-trunc'])).stdout.trim().split('\n').filter((id) => ids.includes(id));
  assert.equal(left, []);
});

test('state truth: a container whose monitor died shows as exited with an error, and is', async () => {
  // As a user other than root too: a uid change clears the parent-death signal, which is set again.
  const d = await s.skiff(['run', '-d', '-u', '1000', bb, 'sleep', '300']);
  const id = d.stdout.trim();
  const monitorPid = Number(readFileSync(join(s.runtimeDir, 'skiff', 'containers', id, 'monitor.pid'), 'utf8').trim().split(/\s+/)[0]);
  const pid = Number(await inspect(s, id, '{{.State.Pid}}'));
  process.kill(monitorPid, 'SIGKILL');
  // Nothing would log, reap or restart it: it goes with its monitor, so "exited" is the truth.
  const gone = (): boolean => {
    try {
      return /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return true;
    }
  };
  await until(async () => gone(), 5000, 'the container process to end');
  await until(async () => (await inspect(s, id, '{{.State.Status}}')) === 'exited', 5000, 'exited');
  assert.match(await inspect(s, id, '{{.State.Error}}'), /monitor/);
  assert.is((await s.skiff(['rm', id])).code, 0);
});

test('killing the CLI during run -d never leaves a container later commands choke on', async () => {
  for (let i = 0; i < 8; i++) {
    // timeout(1) SIGKILLs the CLI at a different point of run -d each time.
    await s.run(['timeout', '-s', 'KILL', String((20 + i * 40) / 1000), skiffBinary(), 'run', '-d', bb, 'sleep', '30']);
  }
  const ps = await s.skiff(['ps', '-a']);
  assert.is(ps.code, 0, ps.stderr);
  const ids = (await s.skiff(['ps', '-aq'])).stdout.trim().split('\n').filter(Boolean);
  if (ids.length) assert.is((await s.skiff(['rm', '-f', ...ids])).code, 0);
});

// SKIFF_TEST_DIE_AFTER_MONITOR_START makes the CLI SIGKILL itself right after the monitor started the
// container: before the record says so, and (attached) before the CLI connected to the monitor.
const dieAfterStart = { env: { SKIFF_TEST_DIE_AFTER_MONITOR_START: '1' } };

test('a run -d killed after the start still shows the container running, and rm -f stops it', async () => {
  const r = await s.skiff(['run', '-d', '--name', 'die-d', bb, 'sleep', '60'], dieAfterStart);
  assert.is(r.code, 128 + 9, r.stderr);
  assert.is(await inspect(s, 'die-d', '{{.State.Status}}'), 'running');
  const pid = Number(await inspect(s, 'die-d', '{{.State.Pid}}'));
  assert.ok(pid > 0 && existsSync(`/proc/${pid}`), 'the container process runs');
  assert.match((await s.skiff(['ps'])).stdout, /die-d/);
  assert.is((await s.skiff(['rm', '-f', 'die-d'])).code, 0);
  await until(async () => !existsSync(`/proc/${pid}`), 10_000, 'the container process to end');
});

test('a run -d killed after the start, its container done before anyone looked: recorded as started and exited', async () => {
  const r = await s.skiff(['run', '-d', '--name', 'die-quick', bb, 'true'], dieAfterStart);
  assert.is(r.code, 128 + 9, r.stderr);
  // No skiff command may look (and reconcile) before the monitor's own cleanup has recorded the
  // exit: read the record file itself.
  const records = join(s.dataHome, 'skiff', 'records', 'containers');
  const stored = (): { name?: string; state: { Status: string } } | undefined => readdirSync(records)
    .filter((f) => /^[0-9a-f]{64}\.json$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(records, f), 'utf8')) as { name?: string; state: { Status: string } })
    .find((rec) => rec.name === 'die-quick');
  await until(async () => stored()?.state.Status === 'exited', 10_000, 'the monitor\'s cleanup to record the exit');
  const ps = await s.skiff(['ps', '-a', '--filter', 'name=die-quick', '--filter', 'exited=0', '--format', '{{.Status}}']);
  assert.match(ps.stdout, /^Exited \(0\) /);
  assert.is.not(await inspect(s, 'die-quick', '{{.State.StartedAt}}'), '0001-01-01T00:00:00Z');
  assert.is((await s.skiff(['rm', 'die-quick'])).code, 0);
});

test('a foreground run killed before it attached: the container runs detached, not held for ever', async () => {
  // Before: the monitor kept the container at its gate, waiting for an attach that never came.
  const r = await s.skiff(['run', '--name', 'die-fg', bb, 'sh', '-c', 'echo ran; sleep 1'], dieAfterStart);
  assert.is(r.code, 128 + 9, r.stderr);
  const waited = await s.skiff(['wait', 'die-fg']);
  assert.is(waited.code, 0, waited.stderr);
  assert.is(waited.stdout.trim(), '0');
  assert.is((await s.skiff(['logs', 'die-fg'])).stdout, 'ran\n');
  assert.is(await inspect(s, 'die-fg', '{{.State.Status}}'), 'exited');
  // With -i nobody is left to send input: stdin ends, as when an attached client leaves.
  const i = await s.skiff(['run', '-i', '--name', 'die-i', bb, 'sh', '-c', 'cat; echo stdin-ended'], { ...dieAfterStart, input: 'never sent\n' });
  assert.is(i.code, 128 + 9, i.stderr);
  assert.is((await s.skiff(['wait', 'die-i'])).stdout.trim(), '0');
  assert.is((await s.skiff(['logs', 'die-i'])).stdout, 'stdin-ended\n');
  await s.skiff(['rm', 'die-fg', 'die-i']);
});

test('container prune removes stopped containers', async () => {
  const a = (await s.skiff(['run', '-d', bb, 'true'])).stdout.trim();
  await s.skiff(['wait', a]);
  const keep = (await s.skiff(['run', '-d', bb, 'sleep', '30'])).stdout.trim();
  const p = await s.skiff(['container', 'prune', '-f']);
  assert.is(p.code, 0, p.stderr);
  assert.match(p.stdout, new RegExp(`Deleted Containers:\\n${a}\\n`));
  assert.is((await s.skiff(['inspect', a])).code, 1);
  assert.is((await s.skiff(['inspect', keep])).code, 0);
  await s.skiff(['rm', '-f', keep]);
});

test('container prune also removes directories no record owns, once they are a minute old', async () => {
  // What a create killed between making its directories and writing its record leaves behind.
  const old = 'a'.repeat(64);
  const fresh = 'b'.repeat(64);
  const data = join(s.dataHome, 'skiff', 'containers');
  for (const id of [old, fresh]) assert.is((await s.run(['mkdir', '-p', join(data, id, 'upper'), join(s.runtimeDir, 'skiff', 'containers', id)])).code, 0);
  assert.is((await s.run(['touch', '-d', '2 minutes ago', join(data, old), join(s.runtimeDir, 'skiff', 'containers', old)])).code, 0);
  const p = await s.skiff(['container', 'prune', '-f']);
  assert.is(p.code, 0, p.stderr);
  assert.not.ok(existsSync(join(data, old)), 'old orphan removed');
  assert.not.ok(existsSync(join(s.runtimeDir, 'skiff', 'containers', old)), 'its run dir too');
  assert.ok(existsSync(join(data, fresh)), 'a directory a create may still be filling is kept');
  await s.run(['rm', '-rf', join(data, fresh), join(s.runtimeDir, 'skiff', 'containers', fresh)]);
});

test('container prune --filter until, label and label! keep what they exclude, as Docker\'s do', async () => {
  const made = async (...labels: string[]): Promise<string> => {
    const id = (await s.skiff(['run', '-d', ...labels.flatMap((l) => ['--label', l]), bb, 'true'])).stdout.trim();
    await s.skiff(['wait', id]);
    return id;
  };
  const keep = await made('keep=yes');
  const team = await made('team=a', 'keep=no');
  const plain = await made();
  const exists = async (id: string) => (await s.skiff(['inspect', '--format', '{{.Id}}', id])).code === 0;
  // docker container prune -f --filter until=1h: only containers created over an hour ago go; none here.
  const recent = await s.skiff(['container', 'prune', '-f', '--filter', 'until=1h']);
  assert.equal([recent.code, recent.stdout], [0, 'Total reclaimed space: 0B\n'], recent.stderr);
  assert.ok((await exists(keep)) && (await exists(team)) && (await exists(plain)));
  // label=KEY=VALUE: only that one; label!=KEY: those without the key.
  const byLabel = await s.skiff(['container', 'prune', '-f', '--filter', 'label=team=a']);
  assert.match(byLabel.stdout, new RegExp(`^Deleted Containers:\\n${team}\\n\\nTotal reclaimed space: `), byLabel.stderr);
  const without = await s.skiff(['container', 'prune', '-f', '--filter', 'label!=keep']);
  assert.match(without.stdout, new RegExp(`^Deleted Containers:\\n${plain}\\n\\n`), without.stderr);
  assert.ok(await exists(keep));
  // A Unix time a minute ahead: everything stopped was created before it.
  const later = await s.skiff(['container', 'prune', '-f', '--filter', `until=${Math.floor(Date.now() / 1000) + 60}`]);
  assert.match(later.stdout, new RegExp(`Deleted Containers:\\n(.*\\n)*${keep}\\n`), later.stderr);
  // Docker: "Invalid filter 'foo'", and "failed to parse value as time or duration", exit 1, nothing removed.
  const bad = await s.skiff(['container', 'prune', '-f', '--filter', 'foo=bar']);
  assert.equal([bad.code, bad.stdout], [1, '']);
  assert.match(bad.stderr, /Invalid filter 'foo'/);
  const badTime = await s.skiff(['container', 'prune', '-f', '--filter', 'until=bogus']);
  assert.is(badTime.code, 1);
  assert.match(badTime.stderr, /failed to parse value as time or duration: "bogus"/);
});

test('ps --filter label: every label filter must hold', async () => {
  const both = (await s.skiff(['create', '--label', 'a=1', '--label', 'b=2', bb, 'true'])).stdout.trim();
  const one = (await s.skiff(['create', '--label', 'a=1', bb, 'true'])).stdout.trim();
  // docker ps -aq --no-trunc --filter label=a=1 --filter label=b: only the container with both
  const r = await s.skiff(['ps', '-aq', '--no-trunc', '--filter', 'label=a=1', '--filter', 'label=b']);
  assert.is(r.stdout, `${both}\n`, r.stderr);
  await s.skiff(['rm', both, one]);
});

test('rmi refuses an image a container uses', async () => {
  const c = (await s.skiff(['create', bb, 'true'])).stdout.trim();
  const r = await s.skiff(['rmi', bb]);
  assert.is(r.code, 1);
  assert.match(r.stderr, /conflict: unable to remove repository reference/);
  await s.skiff(['rm', c]);
});

test.run();
