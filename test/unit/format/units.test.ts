// Sizes and durations as docker images / docker ps print them (docker 28 CLI, go-units).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createdSince, ellipsis, goTime, humanDuration, humanSize } from '../../../src/cli/format/units';

test('humanSize: decimal units, three significant digits', () => {
  assert.is(humanSize(1985580), '1.99MB'); // docker images: 127.0.0.1:5000/skiff-test/busybox 1.99MB
  assert.is(humanSize(0), '0B');
  assert.is(humanSize(999), '999B');
  assert.is(humanSize(1000), '1kB');
  assert.is(humanSize(4261550), '4.26MB');
  assert.is(humanSize(117_000_000), '117MB');
  assert.is(humanSize(1_234_567_890), '1.23GB');
});

test('humanDuration: go-units wording', () => {
  assert.is(humanDuration(500), 'Less than a second');
  assert.is(humanDuration(1000), '1 second');
  assert.is(humanDuration(45_000), '45 seconds');
  assert.is(humanDuration(60_000), 'About a minute');
  assert.is(humanDuration(13 * 60_000), '13 minutes');
  assert.is(humanDuration(3_600_000), 'About an hour');
  assert.is(humanDuration(5 * 3_600_000), '5 hours');
  assert.is(humanDuration(3 * 86_400_000), '3 days');
  assert.is(humanDuration(20 * 86_400_000), '2 weeks');
  assert.is(humanDuration(100 * 86_400_000), '3 months');
  assert.is(humanDuration(3 * 365 * 86_400_000), '3 years');
});

test('createdSince', () => {
  const now = Date.parse('2026-11-24T10:22:21Z');
  assert.is(createdSince('2023-11-14T22:13:20Z', now), '3 years ago'); // docker images showed "3 years ago"
  assert.is(createdSince(undefined, now), 'N/A');
});

test('goTime and ellipsis: CREATED AT and truncated COMMAND as docker prints them', () => {
  assert.is(goTime('2023-11-14T22:13:20Z'), '2023-11-14 22:13:20 +0000 UTC');
  assert.is(goTime('2026-11-24T10:00:00.123456789Z'), '2026-11-24 10:00:00 +0000 UTC');
  assert.is(goTime(undefined), '');
  assert.is(ellipsis("sh -c 'echo started; exec sleep'", 20), "sh -c 'echo started…");
  assert.is(ellipsis('sleep 300', 20), 'sleep 300');
});

test.run();
