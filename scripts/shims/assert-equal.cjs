// The part of node:assert that signal-exit 3 (proper-lockfile's exit hook) uses: assert.equal, once,
// to check its argument. Bundled in its place (scripts/build.mjs): loading node:assert costs ~2 ms at
// every start (its diff printer, colours, call tracker), for one comparison.
'use strict';

function fail(message) {
  return Object.assign(new Error(message), { code: 'ERR_ASSERTION', name: 'AssertionError' });
}

function assert(value, message) {
  if (!value) throw fail(message ?? 'assertion failed');
}

assert.equal = function equal(actual, expected, message) {
  // eslint-disable-next-line eqeqeq
  if (actual != expected) throw fail(message ?? `${String(actual)} == ${String(expected)}`);
};

module.exports = assert;
