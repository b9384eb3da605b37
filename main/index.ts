import { join } from 'node:path';
import { app, BrowserWindow } from 'electron';
import { loadConfig, machineConfigLocation, userConfigPath } from './config/index';
import { createWorkstation, type Workstation } from './workstation';
import { createDispatcher, createHandlers } from './ipc';
import {
  forwardEvents,
  registerIpc,
  createMainWindow,
  hardenContents,
  hardenSession,
  rendererUrls,
  SafeStorageKeyStore,
  registerAppScheme,
  serveAttachmentScheme,
  createLifecycle,
  installMenu,
  runCliMode,
  lockOnOsEvents,
  systemIdleSeconds,
  windowPrinter,
  configureElectronNative,
  defaultsFile,
} from './electron';
import { createFileSink, createLogger, logFileIn, stderrSink, teeSink, type FileSink } from './log';
import { localeOf, aboutText, applicationMenu, cliArgsOf } from './shell';

/** App lifecycle, window and shell hardening only; everything else is in the plain-Node services. */
const cliArgs = cliArgsOf(process.argv);
if (cliArgs) runCliMode(cliArgs);
else startApp();

function startApp(): void {
  app.enableSandbox();
  registerAppScheme();

  // The log file first, so that every later failure can name it (docs/deployment.md, section 6).
  let fileSink: FileSink | null = null;
  try {
    fileSink = createFileSink(logFileIn(app.getPath('userData')), { sync: true });
  } catch {
    fileSink = null;
  }
  const log = createLogger('hcp', fileSink ? teeSink(stderrSink, fileSink.write) : stderrSink);
  const lifecycle = createLifecycle({
    log,
    logFile: fileSink?.file ?? null,
    locale: () => (app.isReady() ? localeOf(app.getLocale()) : 'en'),
  });

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

    const start = () => {
      log.info('starting', {
        version: app.getVersion(),
        electron: process.versions.electron,
        packaged: app.isPackaged,
      });
      // better-sqlite3 built for this Electron (main/native/bindings.ts): a clear error if it is not there.
      const binding = configureElectronNative();
      log.info('native binding', { sqlite: binding.kind === 'file' ? binding.path : 'node_modules' });
      hardenSession(urls);
      const machine = machineConfigLocation();
      const loaded = loadConfig({
        defaultsFile: defaultsFile(),
        machineFile: machine.file,
        machineFileRequired: machine.explicit,
        userFile: userConfigPath(app.getPath('userData')),
      });
      const dataDir = app.getPath('userData');
      workstation = createWorkstation({
        loaded,
        dataDir,
        version: app.getVersion(),
        logger: log,
        keyStore: new SafeStorageKeyStore(join(dataDir, 'workstation.key.enc')),
        systemIdleSeconds,
        printer: () => (mainWindow ? windowPrinter(mainWindow) : null),
      });
      lockOnOsEvents(workstation);
      serveAttachmentScheme(workstation.attachments);
      registerIpc(createDispatcher(createHandlers(workstation), workstation.log), () => urls.appUrl);
      const mode = loaded.config.mode;
      installMenu(
        applicationMenu({ platform: process.platform, productName: 'HCP Workstation', devTools: !app.isPackaged }),
        {
          about: () =>
            aboutText({
              productName: 'HCP Workstation',
              version: app.getVersion(),
              mode,
              logFile: fileSink?.file ?? null,
            }),
        },
      );
      const win = createMainWindow(urls);
      mainWindow = win;
      lifecycle.watchWindow(win, {
        workstation: () => workstation,
        reload: () => void win.loadURL(urls.appUrl).catch((e: unknown) => lifecycle.failStartup(e, 'reload')),
      });
      forwardEvents(workstation.events, win.webContents);
      win.once('ready-to-show', () => {
        // From here on the app is up: failures are logged and recovered, and the log never waits for the disk.
        lifecycle.phase = 'running';
        fileSink?.setSync(false);
        log.info('window shown');
      });
      win.on('closed', () => (mainWindow = null));
    };

    app
      .whenReady()
      .then(start)
      .catch((e: unknown) => lifecycle.failStartup(e, 'start'));

    app.on('window-all-closed', () => app.quit());
    app.on('will-quit', () => {
      fileSink?.setSync(true);
      workstation
        ?.close()
        .catch((e: unknown) =>
          log.error('closing the workstation failed', { error: e instanceof Error ? e.message : String(e) }),
        );
    });
  }
}
