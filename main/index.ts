import { join } from 'node:path';
import { app, BrowserWindow } from 'electron';
import { loadConfig } from './config/index';
import { machineConfigLocation, userConfigPath } from './config/paths';
import { createWorkstation, type Workstation } from './workstation';
import { createDispatcher } from './ipc/dispatch';
import { createHandlers } from './ipc/handlers/index';
import { forwardEvents, registerIpc } from './electron/ipc';
import { createMainWindow, hardenContents, hardenSession, rendererUrls } from './electron/window';
import { SafeStorageKeyStore } from './electron/safe-storage-key-store';
import { registerAppScheme } from './electron/app-protocol';

/** App lifecycle, window and shell hardening only; everything else is in the plain-Node services. */
app.enableSandbox();
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  let workstation: Workstation | null = null;
  let mainWindow: BrowserWindow | null = null;
  const urls = rendererUrls();

  app.on('second-instance', () => {
    if (mainWindow) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.focus();
    }
  });

  app.on('web-contents-created', (_event, contents) => hardenContents(contents, urls.appUrl));

  app.whenReady().then(() => {
    hardenSession(urls);
    const resources = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');
    const machine = machineConfigLocation();
    const loaded = loadConfig({
      defaultsFile: join(resources, 'config', 'defaults.json'),
      machineFile: machine.file,
      machineFileRequired: machine.explicit,
      userFile: userConfigPath(app.getPath('userData')),
    });
    const dataDir = app.getPath('userData');
    workstation = createWorkstation({ loaded, dataDir, version: app.getVersion(), keyStore: new SafeStorageKeyStore(join(dataDir, 'workstation.key.enc')) });
    registerIpc(createDispatcher(createHandlers(workstation), workstation.log), () => urls.appUrl);
    mainWindow = createMainWindow(urls);
    forwardEvents(workstation.events, mainWindow.webContents);
    mainWindow.on('closed', () => (mainWindow = null));
  });

  app.on('window-all-closed', () => app.quit());
  app.on('will-quit', () => {
    void workstation?.close();
  });
}
