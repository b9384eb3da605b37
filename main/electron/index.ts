/** The Electron adapter: the only part of main/ that imports electron; main/index.ts wires it. */
export { forwardEvents, registerIpc } from './ipc';
export { createMainWindow, hardenContents, hardenSession, rendererUrls } from './window';
export { SafeStorageKeyStore } from './safe-storage-key-store';
export { registerAppScheme } from './app-protocol';
export { serveAttachmentScheme } from './attachment-protocol';
export { createLifecycle } from './lifecycle';
export { installMenu } from './menu';
export { runCliMode } from './cli-mode';
export { configureElectronNative, defaultsFile } from './runtime';
export { lockOnOsEvents, systemIdleSeconds, windowPrinter } from './power-and-print';
