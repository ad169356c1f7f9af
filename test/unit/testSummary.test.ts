/** The test command's count (ops/testSummary.ts) on TAP texts as ava prints them: nothing that did not pass counts as passed. */
import test from "ava";
import { countTap, failureReason } from "../../ops/testSummary";

const rows: [string, string, number | undefined, { passed: number; failed: number }][] = [
  ["all pass", "ok 1 - a › x\nok 2 - a › y\n", 2, { passed: 2, failed: 0 }],
  ["a failed assertion", "ok 1 - a › x\nnot ok 2 - a › y\n", 2, { passed: 1, failed: 1 }],
  ["a skipped test is a failure", "ok 1 - a › x\nok 2 - a › y # SKIP\n", 2, { passed: 1, failed: 1 }],
  ["a todo test is a failure", "ok 1 - a › x\nnot ok 2 - a › later # TODO\n", 2, { passed: 1, failed: 1 }],
  ["a failed before hook reports each test it took down", "not ok 1 - a › before hook\n# 18 tests remaining in test/engine/cluster.test.ts\nok 2 - b › z\n", 19, { passed: 1, failed: 18 }],
  [
    "a subset run (no expected count): a failed before hook still reports each test it took down",
    "not ok 1 - a › before hook\n# 3 tests remaining in test/engine/dev.test.ts\n",
    undefined,
    { passed: 0, failed: 3 },
  ],
  ["a file that crashes at load: its tests never ran", "not ok 1 - Error: load boom\nnot ok 2 - test/c.test.ts exited with a non-zero exit code: 1\nok 3 - b › z\n", 4, { passed: 1, failed: 3 }],
  ["a failed after hook fails the run though every test passed", "ok 1 - a › x\nnot ok 2 - a › after.always hook\n", 1, { passed: 1, failed: 1 }],
  ["more tests than the committed count: the count is out of date", "ok 1 - a › x\nok 2 - a › y\n", 1, { passed: 2, failed: 1 }],
  ["no expected count (a subset run): only what ran", "ok 1 - a › x\n", undefined, { passed: 1, failed: 0 }],
];

for (const [name, tap, expected, want] of rows) {
  test(name, (t) => {
    const { passed, failed } = countTap(tap, expected);
    t.deepEqual({ passed, failed }, want);
  });
}

/** ava's YAML blocks as they were printed (shortened), and the one line CI's tail shows for each. */
const THROWN_IN_HOOK = [
  "    name: AssertionError",
  "    details:",
  "      'Rejected promise returned by test. Reason:': \"Error {\\n  message: `no load within 300 s:␊\\n  rehearse: a killed rehearsal left its stack (/root/.cache/hotel-stack/rehearsal/state): recovering and destroying it first␊\\n   -  docker:index:Volume alert-rules-prometheus-data deleting (30s) error:   timeout while waiting for state to become 'removed' (last state: 'in_use', timeout: 30s)␊\\n  `,\\n}\"",
  "    message: Rejected promise returned by test",
];
const DEEP_EQUAL = [
  "    name: AssertionError",
  "    assertion: t.deepEqual()",
  "    details:",
  "      'Difference (- actual, + expected):': |2-",
  "          [",
  "        +     'redis-exporter',",
  "        -     'cache-warmer',",
  "          ]",
  "    message: ''",
];
const IS_WITH_MESSAGE = [
  "    name: AssertionError",
  "    assertion: t.is()",
  "    details:",
  "      'Difference (- actual, + expected):': |-",
  "        - 13",
  "        + 12",
  "    message: step 5: every answer 200",
];

const reasons: [string, string[], string][] = [
  [
    "a thrown error: its first line, then the engine's first error line",
    THROWN_IN_HOOK,
    "no load within 300 s: … - docker:index:Volume alert-rules-prometheus-data deleting (30s) error: timeout while waiting for state to become 'removed' (last state: 'in_use', timeout: 30s)",
  ],
  ["an assertion without a message: the assertion and the first lines of the difference", DEEP_EQUAL, "t.deepEqual(): + 'redis-exporter', - 'cache-warmer',"],
  ["an assertion with a message", IS_WITH_MESSAGE, "t.is(): step 5: every answer 200: - 13 + 12"],
  ["no block: nothing", [], ""],
];

for (const [name, block, want] of reasons) test(`why a test failed, in one line: ${name}`, (t) => t.is(failureReason(block), want));

test("the count says why each test failed, under its name", (t) => {
  const tap = ["not ok 1 - engine › rehearse › before hook", "  ---", ...THROWN_IN_HOOK, "  ...", "not ok 2 - dev › recover", "  ---", ...DEEP_EQUAL, "  ...", "ok 3 - a › x", ""].join("\n");
  t.deepEqual(countTap(tap).reasons, [
    "broken: engine › rehearse › before hook: no load within 300 s: … - docker:index:Volume alert-rules-prometheus-data deleting (30s) error: timeout while waiting for state to become 'removed' (last state: 'in_use', timeout: 30s)",
    "failed: dev › recover: t.deepEqual(): + 'redis-exporter', - 'cache-warmer',",
  ]);
});
