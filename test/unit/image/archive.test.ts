// Image archives, the pure parts: Docker's `-c` changes (checked against Docker 20.10's results), archive documents
// (manifest.json, index.json, repositories), names from OCI annotations, and the small parsers behind them.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SkiffError } from '../../../src/errors';
import {
  applyChanges,
  archiveIndex,
  blobPath,
  digestOfBlobPath,
  dockerArchiveDocuments,
  imageNameFromAnnotations,
  layerMediaType,
  parseDockerArchiveManifest,
  parseGoDuration,
  parseJsonArray,
  parsePortSpec,
  processWord,
  processWords,
  synthesizeManifest,
  type ContainerConfig,
} from '../../../src/image/archive';

function fails(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.instance(err, SkiffError);
    return (err as Error).message;
  }
  assert.unreachable('expected an error');
  return '';
}

const changes = (...c: string[]): ContainerConfig => applyChanges({}, c);

// ---------------------------------------------------------------------------------------------
// -c changes: each expectation is what `docker import -c … ` + `docker image inspect -f '{{json .Config}}'` gave
// on Docker 20.10.24 (empty fields left out, as Docker's JSON leaves them out).
// ---------------------------------------------------------------------------------------------

test('CMD and ENTRYPOINT: JSON form as is, shell form through /bin/sh -c', () => {
  assert.equal(changes('CMD ["sh"]'), { Cmd: ['sh'] });
  assert.equal(changes('CMD ls -l'), { Cmd: ['/bin/sh', '-c', 'ls -l'] });
  assert.equal(changes('cmd ls'), { Cmd: ['/bin/sh', '-c', 'ls'] });
  assert.equal(changes('  cmd   echo   hi  '), { Cmd: ['/bin/sh', '-c', 'echo   hi'] });
  assert.equal(changes('CMD'), { Cmd: ['/bin/sh', '-c'] });
  assert.equal(changes('CMD []'), {});
  assert.equal(changes('CMD [ "a" , "b" ]'), { Cmd: ['a', 'b'] });
  assert.equal(changes('CMD ["a\\"b", "\\u0041"]'), { Cmd: ['a"b', 'A'] });
  assert.equal(changes('CMD ["a"] junk'), { Cmd: ['a'] }, 'only the first JSON value counts, as with Go\'s json.Decoder');
  assert.equal(changes('CMD [bad json'), { Cmd: ['/bin/sh', '-c', '[bad json'] });
  assert.equal(changes("CMD ['a']"), { Cmd: ['/bin/sh', '-c', "['a']"] });
  assert.equal(changes('ENTRYPOINT ["a", "b" '), { Entrypoint: ['/bin/sh', '-c', '["a", "b"'] });
  assert.equal(changes('ENTRYPOINT /bin/echo hi'), { Entrypoint: ['/bin/sh', '-c', '/bin/echo hi'] });
  assert.equal(changes('ENTRYPOINT'), {});
  assert.equal(changes('ENTRYPOINT ["a"]', 'CMD ["b"]'), { Entrypoint: ['a'], Cmd: ['b'] });
  assert.equal(changes('CMD ["b"]', 'ENTRYPOINT a'), { Cmd: ['b'], Entrypoint: ['/bin/sh', '-c', 'a'] });
  assert.equal(changes('ENTRYPOINT ["a"]', 'ENTRYPOINT b'), { Entrypoint: ['/bin/sh', '-c', 'b'] });
  assert.equal(changes('ENV A=1', 'CMD echo $A', 'ENTRYPOINT ["$A"]'), { Env: ['A=1'], Cmd: ['/bin/sh', '-c', 'echo $A'], Entrypoint: ['$A'] }, 'no expansion in commands');
  assert.is(fails(() => changes('CMD ["a", 1]')), 'when using JSON array syntax, arrays must be comprised of strings only');
});

test('ENTRYPOINT drops an inherited CMD unless a CMD came first; the shell is the config\'s', () => {
  const base: ContainerConfig = { Cmd: ['old'], Shell: ['/bin/bash', '-c'] };
  assert.equal(applyChanges(base, ['ENTRYPOINT x']), { Entrypoint: ['/bin/bash', '-c', 'x'], Shell: ['/bin/bash', '-c'] });
  assert.equal(applyChanges(base, ['CMD y', 'ENTRYPOINT ["x"]']), { Cmd: ['/bin/bash', '-c', 'y'], Entrypoint: ['x'], Shell: ['/bin/bash', '-c'] });
  assert.equal(base, { Cmd: ['old'], Shell: ['/bin/bash', '-c'] }, 'the base is not changed');
  assert.equal(applyChanges(base, []), base);
});

test('ENV: pairs, legacy form, quotes, escapes, replacement, expansion from earlier ENVs', () => {
  assert.equal(changes('ENV A=1'), { Env: ['A=1'] });
  assert.equal(changes('ENV A "x y"'), { Env: ['A=x y'] });
  assert.equal(changes('ENV A  x  y '), { Env: ['A=x  y'] });
  assert.equal(changes('ENV A B C'), { Env: ['A=B C'] });
  assert.equal(changes('ENV A=1 B="x y"'), { Env: ['A=1', 'B=x y'] });
  assert.equal(changes('ENV A="x y" B=\'q r\' C=a\\ b'), { Env: ['A=x y', 'B=q r', 'C=a b'] });
  assert.equal(changes('ENV A= B="" C=\\"x\\" D=\'$x\''), { Env: ['A=', 'B=', 'C="x"', 'D=$x'] });
  assert.equal(changes('ENV a=x\\yz'), { Env: ['a=xyz'] });
  assert.equal(changes('ENV A=a\\'), { Env: ['A=a'] });
  assert.equal(changes('ENV A=1', 'ENV A=2 B=3', 'ENV B 4'), { Env: ['A=2', 'B=4'] });
  assert.equal(changes('ENV a=1 A=2'), { Env: ['a=1', 'A=2'] }, 'names are case-sensitive');
  assert.equal(changes('ENV A=1', 'ENV B=$A C=${A}x D=${Z:-def} E=${A:+alt} F=\\$A'), { Env: ['A=1', 'B=1', 'C=1x', 'D=def', 'E=alt', 'F=$A'] });
  assert.equal(changes('ENV A=$1x$ B=${A:-$HOME}'), { Env: ['A=x$', 'B='] }, 'an ENV sees only earlier instructions');
  assert.equal(changes('ENV PATH=/x:$PATH'), { Env: ['PATH=/x:'] });
  assert.is(fails(() => changes('ENV A')), 'ENV must have two arguments');
  assert.is(fails(() => changes('ENV')), 'ENV requires at least one argument');
  assert.is(fails(() => changes('ENV =x')), 'ENV names can not be blank');
  assert.is(fails(() => changes('ENV A=1 B')), 'Syntax error - can\'t find = in "B". Must be of the form: name=value');
  assert.is(fails(() => changes('ENV A=${Z:?oops}')), 'failed to process "${Z:?oops}": Z: oops');
  assert.is(fails(() => changes('ENV A=1', 'ENV C=${Q-y}')), 'failed to process "${Q-y}": missing \':\' in substitution');
  assert.is(fails(() => changes('ENV A=${B:x}')), 'failed to process "${B:x}": unsupported modifier (x) in substitution');
  assert.is(fails(() => changes('ENV A=${}')), 'failed to process "${}": syntax error: bad substitution');
  assert.is(fails(() => changes('ENV A=${B')), 'failed to process "${B": missing \':\' in substitution');
  assert.is(fails(() => changes('ENV B=${#A}')), 'failed to process "${#A}": missing \':\' in substitution');
  assert.is(fails(() => changes("ENV A='x")), 'failed to process "\'x": unexpected end of statement while looking for matching single-quote');
});

test('LABEL: pairs and legacy form, merged, keys and values expanded', () => {
  assert.equal(changes('LABEL a=b "c d"=e'), { Labels: { a: 'b', 'c d': 'e' } });
  assert.equal(changes('LABEL a b c'), { Labels: { a: 'b c' } });
  assert.equal(changes('LABEL a=b', 'LABEL a=c d=e'), { Labels: { a: 'c', d: 'e' } });
  assert.equal(changes('LABEL a="x\\"y" b=x\\\\y c="x\\\\y" d=\'x\\y\''), { Labels: { a: 'x"y', b: 'x\\y', c: 'x\\y', d: 'x\\y' } });
  assert.equal(changes('ENV A=1', 'LABEL $A=v'), { Env: ['A=1'], Labels: { 1: 'v' } });
  assert.is(fails(() => changes('LABEL a')), 'LABEL must have two arguments');
  assert.is(fails(() => changes('LABEL')), 'LABEL requires at least one argument');
  assert.is(fails(() => changes('LABEL a=1 b')), 'Syntax error - can\'t find = in "b". Must be of the form: name=value');
  assert.is(fails(() => changes('LABEL "a b"')), 'failed to process "\\"a": unexpected end of statement while looking for matching double-quote');
});

test('EXPOSE: ports, ranges, protocols, host parts ignored, variables split into words', () => {
  assert.equal(changes('EXPOSE 80 443/udp'), { ExposedPorts: { '80/tcp': {}, '443/udp': {} } });
  assert.equal(changes('EXPOSE 80-82'), { ExposedPorts: { '80/tcp': {}, '81/tcp': {}, '82/tcp': {} } });
  assert.equal(changes('EXPOSE 80/sctp 90/TCP'), { ExposedPorts: { '80/sctp': {}, '90/tcp': {} } });
  assert.equal(changes('EXPOSE 127.0.0.1:80:80'), { ExposedPorts: { '80/tcp': {} } });
  assert.equal(changes('EXPOSE 8080:80 80/ 0'), { ExposedPorts: { '80/tcp': {}, '0/tcp': {} } });
  assert.equal(changes('ENV A=1', 'EXPOSE 8$A'), { Env: ['A=1'], ExposedPorts: { '81/tcp': {} } });
  assert.equal(changes('ENV P="80 443"', 'EXPOSE $P'), { Env: ['P=80 443'], ExposedPorts: { '80/tcp': {}, '443/tcp': {} } });
  assert.is(fails(() => changes('ENV P="80 443"', 'EXPOSE "$P"')), 'Invalid containerPort: 80 443');
  assert.is(fails(() => changes('EXPOSE 70000')), 'Invalid containerPort: 70000');
  assert.is(fails(() => changes('EXPOSE 82-80')), 'Invalid containerPort: 82-80');
  assert.is(fails(() => changes('EXPOSE abc')), 'Invalid containerPort: abc');
  assert.is(fails(() => changes('EXPOSE 80/foo')), 'Invalid proto: foo');
  assert.is(fails(() => changes('EXPOSE /tcp')), 'No port specified: /tcp<empty>');
  assert.is(fails(() => changes('EXPOSE')), 'EXPOSE requires at least one argument');
});

test('USER, VOLUME, WORKDIR, ONBUILD', () => {
  assert.equal(changes('USER nobody'), { User: 'nobody' });
  assert.equal(changes('USER a b'), { User: 'a b' });
  assert.equal(changes('USER ""'), {});
  assert.equal(changes('ENV A=1', 'USER $A'), { Env: ['A=1'], User: '1' });
  assert.is(fails(() => changes('USER')), 'USER requires exactly one argument');
  assert.equal(changes('VOLUME /data /x'), { Volumes: { '/data': {}, '/x': {} } });
  assert.equal(changes('VOLUME ["/a", "/b"] '), { Volumes: { '/a': {}, '/b': {} } });
  assert.equal(changes('VOLUME ["/a" "/b"]'), { Volumes: { '[/a': {}, '/b]': {} } }, 'not JSON: whitespace-separated words');
  assert.equal(changes('ENV A=1', 'VOLUME /v/$A'), { Env: ['A=1'], Volumes: { '/v/1': {} } });
  assert.is(fails(() => changes('VOLUME')), 'VOLUME requires at least one argument');
  assert.is(fails(() => changes('VOLUME []')), 'VOLUME requires at least one argument');
  assert.is(fails(() => changes('VOLUME [""]')), 'VOLUME specified can not be an empty string');
  assert.is(fails(() => changes('VOLUME /a /b "/c d"')), 'failed to process "\\"/c": unexpected end of statement while looking for matching double-quote');
  assert.equal(changes('WORKDIR rel'), { WorkingDir: '/rel' });
  assert.equal(changes('WORKDIR /a', 'WORKDIR b/../c', 'WORKDIR /d//e/'), { WorkingDir: '/d//e/' }, 'absolute paths kept as written');
  assert.equal(changes('WORKDIR /a', 'WORKDIR ../../b'), { WorkingDir: '/b' });
  assert.equal(changes('WORKDIR /w', 'WORKDIR x'), { WorkingDir: '/w/x' });
  assert.equal(changes('ENV A=1', 'WORKDIR /x/$A'), { Env: ['A=1'], WorkingDir: '/x/1' });
  assert.is(fails(() => changes('WORKDIR')), 'WORKDIR requires exactly one argument');
  assert.is(fails(() => changes('WORKDIR $NOPE')), 'cannot normalize nothing');
  assert.is(fails(() => changes('WORKDIR ""')), 'cannot normalize nothing');
  assert.equal(changes('ONBUILD RUN ls'), { OnBuild: ['RUN ls'] });
  assert.equal(changes('ONBUILD run  ls -l'), { OnBuild: ['run  ls -l'] });
  assert.equal(changes('ONBUILD FOO x'), { OnBuild: ['FOO x'] });
  assert.equal(changes('ENV A=1', 'ONBUILD ENV B=$A'), { Env: ['A=1'], OnBuild: ['ENV B=$A'] });
  assert.is(fails(() => changes('ONBUILD')), 'ONBUILD requires at least one argument');
  assert.is(fails(() => changes('ONBUILD ONBUILD ls')), 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  assert.is(fails(() => changes('ONBUILD ONBUILD')), 'Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
  assert.is(fails(() => changes('ONBUILD FROM x')), 'FROM isn\'t allowed as an ONBUILD trigger');
  assert.is(fails(() => changes('ONBUILD MAINTAINER x')), 'MAINTAINER isn\'t allowed as an ONBUILD trigger');
  assert.is(fails(() => changes('ONBUILD ENV A')), 'ENV must have two arguments');
});

test('HEALTHCHECK: CMD forms, NONE, flags with Go durations, Docker\'s errors', () => {
  assert.equal(changes('HEALTHCHECK CMD true'), { Healthcheck: { Test: ['CMD-SHELL', 'true'] } });
  assert.equal(changes('HEALTHCHECK --interval=5s --timeout=1m --start-period=1s --retries=3 CMD ["curl","x"]'),
    { Healthcheck: { Test: ['CMD', 'curl', 'x'], Interval: 5e9, Timeout: 60e9, StartPeriod: 1e9, Retries: 3 } });
  assert.equal(changes('HEALTHCHECK --interval=1ms CMD x'), { Healthcheck: { Test: ['CMD-SHELL', 'x'], Interval: 1e6 } });
  assert.equal(changes('HEALTHCHECK NONE'), { Healthcheck: { Test: ['NONE'] } });
  assert.equal(changes('HEALTHCHECK --interval=5s NONE'), { Healthcheck: { Test: ['NONE'] } });
  assert.is(fails(() => changes('HEALTHCHECK')), 'HEALTHCHECK requires at least one argument');
  assert.is(fails(() => changes('HEALTHCHECK NONE x')), 'HEALTHCHECK NONE takes no arguments');
  assert.is(fails(() => changes('HEALTHCHECK ls')), 'Unknown type "LS" in HEALTHCHECK (try CMD)');
  assert.is(fails(() => changes('HEALTHCHECK --interval=1m30s --retries=0 CMD-SHELL ls')), 'Unknown type "CMD-SHELL" in HEALTHCHECK (try CMD)');
  assert.is(fails(() => changes('HEALTHCHECK CMD')), 'Missing command after HEALTHCHECK CMD');
  assert.is(fails(() => changes('HEALTHCHECK --bogus=1 CMD x')), 'Unknown flag: bogus');
  assert.is(fails(() => changes('HEALTHCHECK --interval=abc CMD x')), 'time: invalid duration "abc"');
  assert.is(fails(() => changes('HEALTHCHECK --interval=0s CMD x')), 'Interval "interval" cannot be less than 1ms');
  assert.is(fails(() => changes('HEALTHCHECK --timeout=-1s CMD x')), 'Interval "timeout" cannot be less than 1ms');
  assert.is(fails(() => changes('HEALTHCHECK --retries=0 CMD x')), '--retries must be at least 1 (not 0)');
  assert.is(fails(() => changes('HEALTHCHECK --retries=-1 CMD x')), '--retries must be at least 1 (not -1)');
  assert.is(fails(() => changes('HEALTHCHECK --retries=x CMD x')), 'strconv.ParseInt: parsing "x": invalid syntax');
  assert.is(fails(() => changes('HEALTHCHECK --interval 5s CMD x')), 'Missing a value on flag: interval');
  assert.is(fails(() => changes('HEALTHCHECK --interval=5s --interval=6s CMD x')), 'Duplicate flag specified: interval');
  assert.is(fails(() => changes('HEALTHCHECK --interval=5s CMD ["a", 1]')), 'when using JSON array syntax, arrays must be comprised of strings only');
});

test('the changes are one Dockerfile: comments, continuations across -c, unknown and empty', () => {
  assert.equal(changes('ENV A=1 \\', ' B=2'), { Env: ['A=1', 'B=2'] });
  assert.equal(changes('ENV A=1 \\', '# c', ' B=2'), { Env: ['A=1', 'B=2'] });
  assert.equal(changes('ENV A 1 \\', ''), { Env: ['A=1'] });
  assert.equal(changes('CMD ls \\'), { Cmd: ['/bin/sh', '-c', 'ls'] });
  assert.equal(changes('#x', 'USER u'), { User: 'u' });
  for (const [change, name] of [['RUN ls', 'run'], ['STOPSIGNAL SIGKILL', 'stopsignal'], ['MAINTAINER me', 'maintainer'], ['FOO bar', 'foo'],
    ['ADD a b', 'add'], ['ARG x=1', 'arg'], ['SHELL ["/bin/bash","-c"]', 'shell'], ['FROM x', 'from']]) {
    assert.is(fails(() => changes(change!)), `${name} is not a valid change command`);
  }
  assert.is(fails(() => changes('')), 'file with no instructions');
  assert.is(fails(() => changes('# comment')), 'file with no instructions');
  assert.is(fails(() => changes('USER --x=1 u')), 'Unknown flag: x');
  assert.equal(changes('CMD ["sh"]', 'ENV A=1'), { Cmd: ['sh'], Env: ['A=1'] });
  assert.equal(
    changes('CMD ["sh"]', 'ENV A=1', 'ENTRYPOINT /bin/echo hi', 'EXPOSE 80 443/udp', 'LABEL a=b "c d"=e', 'USER nobody', 'VOLUME /data /x', 'WORKDIR /w', 'ONBUILD RUN ls'),
    {
      Cmd: ['sh'], Env: ['A=1'], Entrypoint: ['/bin/sh', '-c', '/bin/echo hi'], ExposedPorts: { '443/udp': {}, '80/tcp': {} },
      Labels: { a: 'b', 'c d': 'e' }, User: 'nobody', Volumes: { '/data': {}, '/x': {} }, WorkingDir: '/w', OnBuild: ['RUN ls'],
    },
  );
});

test('change errors exit 1, as docker import does', () => {
  try {
    changes('RUN ls');
  } catch (err) {
    assert.is((err as SkiffError).exitCode, 1);
  }
});

test('the word processor: quotes, escapes and variables as buildkit\'s lexer', () => {
  const env = ['A=1', 'E=', 'S=a b'];
  assert.is(processWord('"x\\yz\\"q\\\\\\$"', env), 'x\\yz"q\\$');
  assert.is(processWord("'$A'\"$A\"$A", env), '$A11');
  assert.is(processWord('${E:-d}${E:+p}${A:+p}${NOPE:-}', env), 'dp');
  assert.is(processWord('${A:?}', env), '1');
  assert.is(fails(() => processWord('${NOPE:?}', env)), 'failed to process "${NOPE:?}": NOPE: is not allowed to be unset');
  assert.is(processWord('$', env), '$');
  assert.is(processWord('a$-b', env), 'ab');
  assert.equal(processWords('$S "$S" x\\ y', env), ['a', 'b', 'a b', 'x y']);
  assert.is(fails(() => processWord('${A:-x', env)), 'failed to process "${A:-x": syntax error: missing \'}\'');
});

test('Go durations', () => {
  assert.is(parseGoDuration('0'), 0);
  assert.is(parseGoDuration('1h2m3.5s'), 3723.5e9);
  assert.is(parseGoDuration('1.5ms'), 1.5e6);
  assert.is(parseGoDuration('10us'), 10e3);
  assert.is(parseGoDuration('-2s'), -2e9);
  assert.is(fails(() => parseGoDuration('5')), 'time: missing unit in duration "5"');
  assert.is(fails(() => parseGoDuration('5x')), 'time: unknown unit "x" in duration "5x"');
  assert.is(fails(() => parseGoDuration('')), 'time: invalid duration ""');
  assert.is(fails(() => parseGoDuration('.s')), 'time: invalid duration ".s"');
});

test('JSON arrays and port specs', () => {
  assert.equal(parseJsonArray('  ["a", "b]"] rest'), ['a', 'b]']);
  assert.is(parseJsonArray('["a"'), undefined);
  assert.is(parseJsonArray('{"a":1}'), undefined);
  assert.is(parseJsonArray('ls'), undefined);
  assert.equal(parseJsonArray('[]'), []);
  assert.equal(parsePortSpec('1.2.3.4:8000-8001:80-81/udp'), ['80/udp', '81/udp']);
});

// ---------------------------------------------------------------------------------------------
// Archive documents
// ---------------------------------------------------------------------------------------------

const hex = (c: string) => c.repeat(64);
const digest = (c: string) => `sha256:${hex(c)}`;

test('manifest.json of Docker 20.10 (legacy paths, null RepoTags) and Docker 25 (blob paths) parses', () => {
  const legacy = parseDockerArchiveManifest([
    { Config: `${hex('a')}.json`, RepoTags: null, Layers: [`${hex('b')}/layer.tar`] },
    { Config: `${hex('a')}.json`, RepoTags: ['busybox:latest', '127.0.0.1:5000/x/y:v1'], Layers: [] },
  ]);
  assert.equal(legacy[0], { Config: `${hex('a')}.json`, RepoTags: null, Layers: [`${hex('b')}/layer.tar`] });
  assert.equal(legacy[1]!.RepoTags, ['busybox:latest', '127.0.0.1:5000/x/y:v1']);
  const modern = parseDockerArchiveManifest([{ Config: blobPath(digest('c')), Layers: [blobPath(digest('d'))], LayerSources: { [digest('d')]: { mediaType: 'x', digest: digest('d'), size: 1 } } }]);
  assert.is(modern[0]!.RepoTags, null);
  assert.ok(modern[0]!.LayerSources);
  assert.match(fails(() => parseDockerArchiveManifest({})), /manifest.json is not a JSON array/);
  assert.match(fails(() => parseDockerArchiveManifest([{ Layers: [] }])), /entry 0 has no Config/);
  assert.match(fails(() => parseDockerArchiveManifest([{ Config: 'c', Layers: 'x' }])), /entry 0 has no list of Layers/);
  assert.match(fails(() => parseDockerArchiveManifest([{ Config: 'c', Layers: [], RepoTags: [1] }])), /RepoTags that are not strings/);
});

test('blob paths', () => {
  assert.is(blobPath(digest('e')), `blobs/sha256/${hex('e')}`);
  assert.is(digestOfBlobPath(`blobs/sha256/${hex('e')}`), digest('e'));
  assert.is(digestOfBlobPath(`./blobs/sha256/${hex('e')}`), digest('e'));
  assert.is(digestOfBlobPath(`${hex('e')}/layer.tar`), undefined);
  assert.is(digestOfBlobPath(`${hex('e')}.json`), undefined);
  assert.is(layerMediaType('gzip'), 'application/vnd.oci.image.layer.v1.tar+gzip');
  assert.is(layerMediaType('zstd'), 'application/vnd.oci.image.layer.v1.tar+zstd');
  assert.is(layerMediaType('none'), 'application/vnd.oci.image.layer.v1.tar');
});

test('names from OCI annotations: containerd\'s full name, a whole ref.name, never a bare tag', () => {
  assert.is(imageNameFromAnnotations({ 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' }), 'docker.io/library/busybox:latest');
  assert.is(imageNameFromAnnotations({ 'io.containerd.image.name': 'busybox' }), 'docker.io/library/busybox:latest');
  assert.is(imageNameFromAnnotations({ 'org.opencontainers.image.ref.name': '127.0.0.1:5000/skiff-test/busybox:zstd' }), '127.0.0.1:5000/skiff-test/busybox:zstd');
  assert.is(imageNameFromAnnotations({ 'org.opencontainers.image.ref.name': 'busybox:1' }), 'docker.io/library/busybox:1');
  assert.is(imageNameFromAnnotations({ 'org.opencontainers.image.ref.name': 'latest' }), undefined);
  assert.is(imageNameFromAnnotations({ 'org.opencontainers.image.ref.name': 'Not A Name/x' }), undefined);
  assert.is(imageNameFromAnnotations({ 'io.containerd.image.name': `x@${digest('a')}` }), undefined);
  assert.is(imageNameFromAnnotations(undefined), undefined);
});

test('index.json, manifest.json and repositories as save writes them', () => {
  const images = [
    { configDigest: digest('1'), manifest: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('2'), size: 10 }, layerDigests: [digest('3'), digest('4')],
      tags: ['docker.io/library/busybox:latest', '127.0.0.1:5000/x/y:v1'] },
    { configDigest: digest('5'), manifest: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: digest('6'), size: 20 }, layerDigests: [digest('3')], tags: [] },
  ];
  assert.equal(archiveIndex(images), {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('2'), size: 10, annotations: { 'io.containerd.image.name': 'docker.io/library/busybox:latest', 'org.opencontainers.image.ref.name': 'latest' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest('2'), size: 10, annotations: { 'io.containerd.image.name': '127.0.0.1:5000/x/y:v1', 'org.opencontainers.image.ref.name': 'v1' } },
      { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: digest('6'), size: 20 },
    ],
  });
  const { manifest, repositories } = dockerArchiveDocuments(images);
  assert.equal(manifest, [
    { Config: `blobs/sha256/${hex('1')}`, RepoTags: ['busybox:latest', '127.0.0.1:5000/x/y:v1'], Layers: [`blobs/sha256/${hex('3')}`, `blobs/sha256/${hex('4')}`] },
    { Config: `blobs/sha256/${hex('5')}`, RepoTags: null, Layers: [`blobs/sha256/${hex('3')}`] },
  ]);
  assert.equal(repositories, { busybox: { latest: hex('4') }, '127.0.0.1:5000/x/y': { v1: hex('4') } });
  // What save writes, load reads.
  assert.equal(parseDockerArchiveManifest(JSON.parse(JSON.stringify(manifest))), manifest);
});

test('a synthesized manifest is OCI, deterministic, and describes the blobs as they are', () => {
  const bytes = synthesizeManifest({ digest: digest('1'), size: 5 }, [{ digest: digest('2'), size: 7, mediaType: layerMediaType('none') }]);
  assert.equal(JSON.parse(bytes.toString()), {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digest('1'), size: 5 },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: digest('2'), size: 7 }],
  });
  assert.ok(bytes.equals(synthesizeManifest({ digest: digest('1'), size: 5 }, [{ digest: digest('2'), size: 7, mediaType: layerMediaType('none') }])));
});

test.run();
