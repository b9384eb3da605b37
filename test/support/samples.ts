/**
 * The team's real connectathon IPS bundles, beside the repository (../shared/testdata/ips-samples).
 * Test data only: the product and its training environment never read them (they seed the
 * generated patients of scripts/simulator/generate.ts); tests name these samples explicitly.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const SHARED_SAMPLES_DIR = resolve(REPO, '../shared/testdata/ips-samples');

export const sharedSample = (name: string): string => join(SHARED_SAMPLES_DIR, name);
