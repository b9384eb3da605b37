import type { SandboxState } from '../../scripts/sandbox/index';

// What test/integration/global-setup.ts provides: `inject('sandbox')` in any integration test.
declare module 'vitest' {
  export interface ProvidedContext {
    sandbox: SandboxState;
  }
}
