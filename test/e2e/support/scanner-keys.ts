import type { CDPSession, Page } from 'playwright-core';

/** KeyboardEvent.code and keyCode of a character on a US keyboard (what a wedge scanner emulates). */
const US_PUNCTUATION: Record<string, [code: string, keyCode: number]> = {
  ':': ['Semicolon', 186],
  ';': ['Semicolon', 186],
  '/': ['Slash', 191],
  '?': ['Slash', 191],
  '-': ['Minus', 189],
  _: ['Minus', 189],
  '=': ['Equal', 187],
  '+': ['Equal', 187],
  '.': ['Period', 190],
  ',': ['Comma', 188],
  '~': ['Backquote', 192],
  '#': ['Digit3', 51],
  '%': ['Digit5', 53],
  '&': ['Digit7', 55],
  ' ': ['Space', 32],
};
function usKey(ch: string): { code: string; vk?: number } {
  if (/^[A-Za-z]$/.test(ch)) return { code: `Key${ch.toUpperCase()}`, vk: ch.toUpperCase().charCodeAt(0) };
  if (/^[0-9]$/.test(ch)) return { code: `Digit${ch}`, vk: ch.charCodeAt(0) };
  const p = US_PUNCTUATION[ch];
  return p ? { code: p[0], vk: p[1] } : { code: '' };
}

/**
 * A keyboard-wedge scanner typing `text` then its suffix: a pause (the clinician reaches for the
 * scanner), then each character `gap(i)` ms after the one before (and the suffix after the last).
 * Real, trusted key events through Chromium's input pipeline (CDP Input.dispatchKeyEvent, as
 * Playwright's keyboard uses), each stamped with the time the scanner would have typed it
 * (`timestamp`): KeyboardEvent.timeStamp, all the wedge detector reads, is then the scanner's
 * timing, not how late a starved test process got each key out. Upper-case letters come with
 * Shift, as a scanner emulating a US keyboard sends them. Returns once the page's clock has passed
 * the scan's end, so keys typed afterwards are never stamped before it.
 */
export async function typeAsScanner(
  page: Page,
  text: string,
  options: { suffix?: 'Enter' | 'Tab'; gap?: (i: number) => number; cdp?: CDPSession } = {},
): Promise<void> {
  const { suffix = 'Enter', gap = () => 5 } = options;
  const cdp = options.cdp ?? (await page.context().newCDPSession(page));
  try {
    // On the page's clock: the pause before the scan is 400 ms after now.
    const [pageNow, origin] = await page.evaluate(() => [performance.now(), performance.timeOrigin]);
    let t = origin + pageNow + 400;
    const key = (
      type: 'keyDown' | 'keyUp',
      k: { key: string; code: string; vk?: number; text?: string },
      modifiers = 0,
    ) =>
      cdp.send('Input.dispatchKeyEvent', {
        type,
        key: k.key,
        code: k.code,
        windowsVirtualKeyCode: k.vk,
        modifiers,
        timestamp: t / 1000,
        ...(type === 'keyDown' && k.text ? { text: k.text, unmodifiedText: k.text } : {}),
      });
    const shift = { key: 'Shift', code: 'ShiftLeft', vk: 16 };
    const chars = [...text];
    for (const [i, ch] of chars.entries()) {
      if (i > 0) t += gap(i);
      const upper = /^[A-Z]$/.test(ch);
      const k = { key: ch, ...usKey(ch), text: ch };
      if (upper) await key('keyDown', shift, 8);
      await key('keyDown', k, upper ? 8 : 0);
      await key('keyUp', k, upper ? 8 : 0);
      if (upper) await key('keyUp', shift);
    }
    t += gap(chars.length);
    const end =
      suffix === 'Enter' ? { key: 'Enter', code: 'Enter', vk: 13, text: '\r' } : { key: 'Tab', code: 'Tab', vk: 9 };
    await key('keyDown', end);
    await key('keyUp', end);
    await page.waitForFunction((until) => performance.timeOrigin + performance.now() > until, t + 1);
  } finally {
    if (!options.cdp) await cdp.detach();
  }
}
