/**
 * Printing the emergency summary: the window's own contents, laid out by the renderer's print
 * stylesheet. The Electron adapter (main/electron/print.ts) uses webContents.print and
 * webContents.printToPDF with a save dialog; without one (browser harness, CLI) the page prints
 * itself with the browser's print. Either way the disclosure is audited first (EmergencyService.print).
 */
export interface PrintAdapter {
  /** Send the window to a printer (the system print dialog). False when cancelled. */
  print(): Promise<boolean>;
  /** Render the window as PDF and save it where the clinician chooses; the path, or null when cancelled. */
  savePdf(suggestedName: string): Promise<string | null>;
}

/** A file name for the PDF without any patient data in it (names are not put in file systems). */
export function pdfFileName(recordId: string, at: Date): string {
  return `emergency-summary-${recordId.replace(/[^\w-]/g, '').slice(0, 12)}-${at.toISOString().slice(0, 16).replace(/[:T]/g, '')}.pdf`;
}
