import { buildHarnessBundle } from '../../scripts/harness/launch';

/** Build the renderer with the harness bridge once per run; each test file launches its own harness. */
export default async function setup(): Promise<void> {
  await buildHarnessBundle();
}
