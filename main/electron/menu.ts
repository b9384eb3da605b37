import { Menu, dialog, type MenuItemConstructorOptions } from 'electron';
import type { MenuEntry } from '../shell';

/** Installs the app's own menu (main/shell/menu.ts), replacing Electron's default one. */
export function installMenu(entries: MenuEntry[], actions: { about: () => { title: string; body: string } }): void {
  const toElectron = (e: MenuEntry): MenuItemConstructorOptions => {
    const { action, submenu, ...rest } = e;
    const item: MenuItemConstructorOptions = { ...rest };
    if (submenu) item.submenu = submenu.map(toElectron);
    if (action === 'about') {
      item.click = () => {
        const { title, body } = actions.about();
        void dialog.showMessageBox({ type: 'info', title, message: title, detail: body, buttons: ['OK'] });
      };
    }
    return item;
  };
  Menu.setApplicationMenu(Menu.buildFromTemplate(entries.map(toElectron)));
}
