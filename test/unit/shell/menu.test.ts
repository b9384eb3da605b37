import { describe, expect, it } from 'vitest';
import { aboutText, applicationMenu, type MenuEntry } from '../../../main/shell/menu';

const flat = (m: MenuEntry[]): MenuEntry[] => m.flatMap((e) => [e, ...flat(e.submenu ?? [])]);

describe('application menu', () => {
  for (const platform of ['linux', 'win32', 'darwin'] as const) {
    it(`is the app's own on ${platform}: no Electron links, no reload, DevTools only in development`, () => {
      const packaged = flat(applicationMenu({ platform, productName: 'HCP Workstation', devTools: false }));
      const labels = packaged.map((e) => e.label ?? e.role ?? e.type);
      expect(labels.join(' ')).not.toMatch(/learn more|electron|documentation|community|issues/i);
      expect(packaged.some((e) => e.role === ('reload' as never) || e.role === ('forceReload' as never))).toBe(false);
      expect(packaged.some((e) => e.role === 'toggleDevTools')).toBe(false);
      expect(packaged.filter((e) => e.action === 'about')).toHaveLength(1);
      expect(packaged.some((e) => e.role === 'quit' || e.role === 'close')).toBe(true);
      expect(packaged.some((e) => e.role === 'copy') && packaged.some((e) => e.role === 'paste')).toBe(true);
      const dev = flat(applicationMenu({ platform, productName: 'HCP Workstation', devTools: true }));
      expect(dev.some((e) => e.role === 'toggleDevTools')).toBe(true);
    });
  }

  it('About names the version, the mode and the log file', () => {
    expect(
      aboutText({ productName: 'HCP Workstation', version: '0.1.0', mode: 'training', logFile: '/x/logs/main.log' })
        .body,
    ).toBe('HCP Workstation 0.1.0\nMode: training\nLog file: /x/logs/main.log');
  });
});
