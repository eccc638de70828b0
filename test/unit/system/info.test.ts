// skiff info: Docker's field names and text layout, id maps, backends and warnings from fabricated facts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { bytesSize, infoModel, overlayBackend, plannedIdMap, renderInfo, renderInfoWarnings } from '../../../src/system/info';
import type { Paths } from '../../../src/paths';
import { healthyFacts, hybridFacts, rootFacts } from './fixtures';

const paths: Paths = { data: '/home/alice/.local/share/skiff', runtime: '/run/user/1000/skiff', config: '/home/alice/.config/skiff', rootless: true };

test('bytesSize prints as Docker units.BytesSize does', () => {
  assert.is(bytesSize(25276502016), '23.54GiB');
  assert.is(bytesSize(8 * 1024 ** 3), '8GiB');
  assert.is(bytesSize(512), '512B');
  assert.is(bytesSize(1536), '1.5KiB');
});

test('infoModel on a healthy rootless cgroup v2 host', () => {
  const model = infoModel(healthyFacts(), paths, '0.1.0', { containers: { running: 1, paused: 0, stopped: 2 }, images: 4 });
  assert.is(model.ServerVersion, '0.1.0');
  assert.is(model.Containers, 3);
  assert.is(model.ContainersStopped, 2);
  assert.is(model.Images, 4);
  assert.is(model.Driver, 'overlay');
  assert.equal(model.DriverStatus, [['Backing Filesystem', 'btrfs'], ['userxattr', 'true']]);
  assert.is(model.DockerRootDir, paths.data);
  assert.is(model.CgroupVersion, '2');
  assert.is(model.CgroupDriver, 'cgroupfs');
  assert.ok(model.MemoryLimit && model.CpuCfsQuota && model.PidsLimit && model.CPUSet);
  assert.equal(model.SecurityOptions, ['name=seccomp,profile=builtin', 'name=rootless', 'name=cgroupns']);
  assert.is(model.OSType, 'linux');
  assert.is(model.OperatingSystem, 'Fedora Linux 40 (Workstation Edition)');
  assert.is(model.NCPU, 4);
  assert.equal(model.Warnings, []);
  assert.equal(model.Skiff.UIDMap, [{ ContainerID: 0, HostID: 1000, Size: 1 }, { ContainerID: 1, HostID: 100000, Size: 65536 }]);
  assert.equal(model.Skiff.SubUIDRanges, [{ Start: 100000, Count: 65536 }]);
  assert.is(model.Skiff.OverlayBackend, 'native');
  assert.equal(model.Skiff.CgroupControllers, ['cpu', 'cpuset', 'io', 'memory', 'pids']);
  assert.equal(model.Skiff.NetworkBackends, ['slirp4netns', 'pasta']);
  assert.is(model.Skiff.RunRoot, paths.runtime);
});

test('infoModel on the hybrid build machine: no cgroup driver and Docker\'s rootless warning', () => {
  const model = infoModel(hybridFacts(), paths, '0.1.0');
  assert.is(model.Containers, undefined);
  assert.is(model.CgroupVersion, '1');
  assert.is(model.CgroupDriver, 'none');
  assert.not.ok(model.MemoryLimit);
  assert.equal(model.Skiff.CgroupControllers, []);
  assert.equal(model.Warnings, ['WARNING: Running in rootless-mode without cgroups. To enable cgroups, you need to boot the system in cgroup v2 mode.']);
  assert.is(renderInfoWarnings(model), `${model.Warnings[0]}\n`);
});

test('plannedIdMap: identity as root, single id without usable subordinate ids', () => {
  assert.equal(plannedIdMap(rootFacts(), 'uid'), [{ ContainerID: 0, HostID: 0, Size: 4294967295 }]);
  const facts = healthyFacts();
  facts.subgid.ranges = [{ start: 100000, count: 65536 }, { start: 300000, count: 1000 }];
  assert.equal(plannedIdMap(facts, 'gid'), [
    { ContainerID: 0, HostID: 1000, Size: 1 },
    { ContainerID: 1, HostID: 100000, Size: 65536 },
    { ContainerID: 65537, HostID: 300000, Size: 1000 },
  ]);
  if (facts.probe.ran) facts.probe.result.idmap = { ok: false, detail: 'EPERM' };
  assert.equal(plannedIdMap(facts, 'uid'), [{ ContainerID: 0, HostID: 1000, Size: 1 }]);
});

test('overlayBackend: native, fuse-overlayfs, none, unknown', () => {
  const facts = healthyFacts();
  assert.is(overlayBackend(facts), 'native');
  if (!facts.probe.ran) throw new Error('fixture');
  facts.probe.result.overlay = { ok: false, detail: 'EPERM' };
  assert.is(overlayBackend(facts), 'fuse-overlayfs');
  facts.tools.fuseOverlayfs = undefined;
  assert.is(overlayBackend(facts), 'none');
  facts.probe = { ran: false, args: [], reason: 'x' };
  assert.is(overlayBackend(facts), 'unknown');
  assert.is(overlayBackend({ ...rootFacts(), probe: { ran: false, args: [], reason: 'x' } }), 'native', '/proc/filesystems lists overlay');
});

test('renderInfo follows docker info\'s layout', () => {
  const text = renderInfo(infoModel(healthyFacts(), paths, '0.1.0', { containers: { running: 1, paused: 0, stopped: 2 }, images: 4 }));
  assert.ok(text.startsWith('Client:\n Version:    0.1.0\n Context:    default\n Debug Mode: false\n\nServer:\n Containers: 3\n  Running: 1\n  Paused: 0\n  Stopped: 2\n Images: 4\n Server Version: 0.1.0\n'));
  assert.match(text, ' Storage Driver: overlay\n  Backing Filesystem: btrfs\n  userxattr: true\n Logging Driver: json-file\n Cgroup Driver: cgroupfs\n Cgroup Version: 2\n');
  assert.match(text, ' Security Options:\n  seccomp\n   Profile: builtin\n  rootless\n  cgroupns\n Kernel Version: 6.8.5-301.fc40.x86_64\n');
  assert.match(text, ' Total Memory: 8GiB\n Name: box\n Docker Root Dir: /home/alice/.local/share/skiff\n Debug Mode: false\n');
  assert.match(text, '  UID Map: 0:1000:1, 1:100000:65536\n');
  assert.match(text, '  Sub GID Ranges: 100000:65536\n');
  assert.match(text, '  Overlay Backend: native\n');
  assert.match(text, '  Network Backends: slirp4netns pasta\n');
  assert.ok(text.endsWith('\n\n'));
});

test.run();
