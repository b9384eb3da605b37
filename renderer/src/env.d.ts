/// <reference types="vite/client" />
import type { HcpApi } from '../../common/ipc/api';

declare global {
  interface Window {
    /** Exposed by the preload (Electron) or by the browser harness bridge: nothing else. */
    hcp: HcpApi;
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}

export {};
