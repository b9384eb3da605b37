// Prints "N passed, N failed[, N skipped]" from vitest's JSON report and exits non-zero when any
// test failed, the report is missing, or an earlier CI step failed (argv[3] = count of failed steps).
import { readFileSync } from 'node:fs';

const [file = 'test-results/vitest.json', failedSteps = '0'] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch {
  console.log(`no test report at ${file}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A test file that failed to load counts as a failure even with no test inside it.
const brokenFiles = (report.testResults ?? []).filter(
  (f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0,
).length;
const totalFailed = failed + brokenFiles;
console.log(`${passed} passed, ${totalFailed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(totalFailed > 0 || Number(failedSteps) > 0 || passed === 0 ? 1 : 0);
