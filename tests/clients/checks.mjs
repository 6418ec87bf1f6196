// The checks of the Node client scripts: each prints `ok` or `FAIL` with its description, and
// `finish` prints the tally and exits non-zero unless every check passed.
let passed = 0;
let failed = 0;

export function check(description, condition) {
  if (condition) {
    passed += 1;
    console.log(`ok   ${description}`);
  } else {
    failed += 1;
    console.log(`FAIL ${description}`);
  }
}

export function finish(name) {
  console.log(`${name}: ${passed} passed, ${failed} failed`);
  process.exit(failed === 0 && passed > 0 ? 0 : 1);
}
