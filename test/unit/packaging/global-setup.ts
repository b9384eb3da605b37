import { ensureAppBuild } from '../../support/app-build';

/** The packaging tests check the built app: (re)build out/ first when it is missing or stale. */
export default function setup(): void {
  ensureAppBuild();
}
