import { writeFile } from 'node:fs/promises';
import { dialog, powerMonitor, type BrowserWindow } from 'electron';
import type { Workstation } from '../workstation';
import type { PrintAdapter } from '../print/index';

/** The OS locking the screen or going to sleep locks the session in main (the key dropped). */
export function lockOnOsEvents(ws: Workstation): void {
  powerMonitor.on('lock-screen', () => ws.session.lock('os-lock'));
  powerMonitor.on('suspend', () => ws.session.lock('suspend'));
}

export const systemIdleSeconds = (): number => powerMonitor.getSystemIdleTime();

/** Print the window (system dialog) or save it as PDF (webContents.printToPDF, the print stylesheet applies). */
export function windowPrinter(window: BrowserWindow): PrintAdapter {
  return {
    print: () => new Promise((resolve) => window.webContents.print({ printBackground: true }, (ok) => resolve(ok))),
    async savePdf(suggestedName) {
      const pdf = await window.webContents.printToPDF({
        printBackground: true,
        pageSize: 'A4',
        displayHeaderFooter: false,
      });
      const { canceled, filePath } = await dialog.showSaveDialog(window, {
        defaultPath: suggestedName,
        filters: [{ name: 'PDF', extensions: ['pdf'] }],
      });
      if (canceled || !filePath) return null;
      await writeFile(filePath, pdf, { mode: 0o600 });
      return filePath;
    },
  };
}
