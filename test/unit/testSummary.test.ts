/** The test command's count (ops/testSummary.ts) on TAP texts as ava prints them: nothing that did not pass counts as passed. */
import test from "ava";
import { countTap } from "../../ops/testSummary";

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
