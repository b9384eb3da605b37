/**
 * The application menu: the app's own, never Electron's default (no "Learn More" to electronjs.org,
 * no Reload that would drop the screen, DevTools only in a development build). Pure data; Electron's
 * Menu.buildFromTemplate takes it as it is (main/electron/menu.ts).
 */
export type MenuRole =
  | 'about'
  | 'hide'
  | 'hideOthers'
  | 'unhide'
  | 'quit'
  | 'close'
  | 'minimize'
  | 'zoom'
  | 'front'
  | 'undo'
  | 'redo'
  | 'cut'
  | 'copy'
  | 'paste'
  | 'selectAll'
  | 'resetZoom'
  | 'zoomIn'
  | 'zoomOut'
  | 'togglefullscreen'
  | 'toggleDevTools';

export interface MenuEntry {
  label?: string;
  role?: MenuRole;
  type?: 'separator';
  /** An app action, carried out by main/electron/menu.ts. */
  action?: 'about';
  submenu?: MenuEntry[];
}

export interface MenuOptions {
  platform: NodeJS.Platform;
  productName: string;
  devTools: boolean;
}

const sep: MenuEntry = { type: 'separator' };

export function applicationMenu(o: MenuOptions): MenuEntry[] {
  const mac = o.platform === 'darwin';
  const about: MenuEntry = { label: `About ${o.productName}`, action: 'about' };
  const menu: MenuEntry[] = [];
  if (mac)
    menu.push({
      label: o.productName,
      submenu: [about, sep, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, sep, { role: 'quit' }],
    });
  menu.push({ label: 'File', submenu: [mac ? { role: 'close' } : { role: 'quit', label: 'Quit' }] });
  menu.push({
    label: 'Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      sep,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
    ],
  });
  menu.push({
    label: 'View',
    submenu: [
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      sep,
      { role: 'togglefullscreen' },
      ...(o.devTools ? [sep, { role: 'toggleDevTools' } as MenuEntry] : []),
    ],
  });
  if (mac) menu.push({ label: 'Window', submenu: [{ role: 'minimize' }, { role: 'zoom' }, sep, { role: 'front' }] });
  if (!mac) menu.push({ label: 'Help', submenu: [about] });
  return menu;
}

/** The About box text. */
export function aboutText(o: { productName: string; version: string; mode: string; logFile: string | null }): {
  title: string;
  body: string;
} {
  return {
    title: `About ${o.productName}`,
    body: [`${o.productName} ${o.version}`, `Mode: ${o.mode}`, o.logFile ? `Log file: ${o.logFile}` : '']
      .filter(Boolean)
      .join('\n'),
  };
}
