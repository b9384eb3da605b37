import { installHarnessBridge } from './bridge';

installHarnessBridge();
await import('../../renderer/src/main');
