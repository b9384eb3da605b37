import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { launchChromium } from '../support/chromium';
import { typeAsScanner } from './support/scanner-keys';

/**
 * The keyboard-wedge path in a real Chromium: the real composable (useWedgeScanner + the pure
 * detector, bundled by esbuild) on a minimal Vue page with a form, into a focused field, a focused
 * button and with nothing focused. Self-contained: no harness, no main process.
 *
 * People type with Playwright's keyboard.type at 120 ms per key (its delay is a minimum, so human
 * typing stays human however busy the machine). The scanner types through CDP
 * Input.dispatchKeyEvent with explicit event timestamps, Shift around capitals, as a USB HID
 * scanner's reports reach Chromium stamped with the OS event time. keyboard.type at 10 ms is not
 * used for scans: on a loaded CI machine its CDP round trips were measured at up to 108 ms between
 * keys and averages above the configured 35 ms — the detector then rightly refuses the burst.
 */

const CODE = 'HCP1ABCDEF0123456789XYZ';
const ROOT = process.cwd();

// The page: a form with an input (v-model) and a textarea; implicit submission counted.
const ENTRY = `
import { createApp, defineComponent, h, ref } from 'vue';
import { useWedgeScanner } from ${JSON.stringify(join(ROOT, 'renderer/src/composables/useWedgeScanner.ts'))};

const scans = [];
const rejections = [];
const model = { text: ref(''), submitted: ref(0) };
const Page = defineComponent({
  setup() {
    const scanner = useWedgeScanner({ enabled: true, maxAverageInterKeyMs: 35, minLength: 16, suffix: 'Enter-or-Tab' });
    scanner.onScan((s) => scans.push(s));
    window.__listening = () => scanner.listening.value;
    window.__lastRejection = () => scanner.lastRejection.value;
    return () =>
      h('form', { onSubmit: (e) => { e.preventDefault(); model.submitted.value++; } }, [
        h('input', { id: 'field', value: model.text.value, onInput: (e) => { model.text.value = e.target.value; } }),
        h('textarea', { id: 'notes' }),
        h('button', { id: 'go', type: 'submit' }, 'Go'),
      ]);
  },
});
const app = createApp(Page);
app.mount('#app');
window.__wedge = {
  scans,
  model: () => ({ text: model.text.value, submitted: model.submitted.value }),
  unmount: () => app.unmount(),
};
`;

interface PageScan {
  text: string;
  physicalText: string | null;
  suffix: string;
  averageInterKeyMs: number;
  field: string;
}

async function bundlePage(): Promise<string> {
  const out = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'wedge-page.ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    define: {
      'process.env.NODE_ENV': '"production"',
      __VUE_OPTIONS_API__: 'false',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    },
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

describe('keyboard-wedge scanner in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let script: string;
  const errors: string[] = [];

  // Page-side code as expressions: this file compiles without the DOM library.
  const js = <T>(expression: string) => page.evaluate(expression) as Promise<T>;
  const scans = () => js<PageScan[]>('window.__wedge.scans.map((s) => ({ ...s }))');
  const model = () => js<{ text: string; submitted: number }>('window.__wedge.model()');
  let cdp: CDPSession;

  /** A wedge scanner typing `text` then its suffix, `gap(i)` ms before character i (and the suffix). */
  const scannerTypes = (text: string, options: { suffix?: 'Enter' | 'Tab'; gap?: (i: number) => number } = {}) =>
    typeAsScanner(page, text, { gap: () => 10, ...options, cdp });
  const scan = (suffix: 'Enter' | 'Tab' = 'Enter') => scannerTypes(CODE, { suffix });

  beforeAll(async () => {
    script = await bundlePage();
    browser = await launchChromium();
  });

  beforeEach(async () => {
    page = await browser.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent('<!doctype html><html><body><div id="app"></div></body></html>');
    await page.addScriptTag({ content: script });
    await page.waitForFunction('window.__listening?.() === true');
    cdp = await page.context().newCDPSession(page);
  });

  afterEach(async () => {
    await page?.close();
  });

  afterAll(async () => {
    await browser?.close();
    expect(errors).toEqual([]);
  });

  it('leaves human typing (120 ms per key) in a focused field untouched, Enter included', async () => {
    await page.focus('#field');
    await page.keyboard.type('Paracetamol 1 g PO', { delay: 120 });
    await page.keyboard.type('ABCDEFGHIJKLMNOPQRST', { delay: 120 }); // long enough, [A-Z]: only the timing says "person"
    await page.keyboard.press('Enter');
    expect(await page.inputValue('#field')).toBe('Paracetamol 1 g POABCDEFGHIJKLMNOPQRST');
    expect(await model()).toEqual({ text: 'Paracetamol 1 g POABCDEFGHIJKLMNOPQRST', submitted: 1 });
    expect(await scans()).toEqual([]);
  });

  it('detects a scan typed into a focused field, removes it from the field, and consumes the Enter', async () => {
    await page.focus('#field');
    await page.keyboard.type('note ', { delay: 120 });
    await scan('Enter');
    const [s, ...rest] = await scans();
    expect(rest).toEqual([]);
    expect(s).toMatchObject({ text: CODE, physicalText: CODE, suffix: 'Enter', field: 'removed' });
    expect(s!.averageInterKeyMs).toBeLessThanOrEqual(35);
    expect(await page.inputValue('#field')).toBe('note ');
    expect(await model()).toEqual({ text: 'note ', submitted: 0 }); // v-model updated, the form not submitted
    expect(await js('document.activeElement?.id')).toBe('field');
    // The person goes on typing where they were.
    await page.keyboard.type('ok', { delay: 120 });
    expect(await page.inputValue('#field')).toBe('note ok');
  });

  it('restores the caret position when the scan landed in the middle of the text', async () => {
    await page.focus('#notes');
    await page.keyboard.type('ABCDEF', { delay: 120 });
    await js("document.getElementById('notes').setSelectionRange(3, 3)");
    await scan('Tab');
    expect((await scans()).map((s) => [s.text, s.suffix, s.field])).toEqual([[CODE, 'Tab', 'removed']]);
    expect(await page.inputValue('#notes')).toBe('ABCDEF');
    // The Tab did not move focus.
    expect(
      await js(
        '[document.activeElement.id, document.activeElement.selectionStart, document.activeElement.selectionEnd]',
      ),
    ).toEqual(['notes', 3, 3]);
  });

  it('detects a scan with nothing focused', async () => {
    await js('document.activeElement?.blur()');
    expect(await js('document.activeElement === document.body')).toBe(true);
    await scan('Enter');
    expect((await scans()).map((s) => [s.text, s.field])).toEqual([[CODE, 'no-field']]);
    await page.keyboard.type('abc', { delay: 120 });
    await page.keyboard.press('Enter');
    expect(await scans()).toHaveLength(1);
  });

  it('detects a scan while a button has focus, without clicking it', async () => {
    await page.focus('#go');
    await scan('Enter');
    expect((await scans()).map((s) => [s.text, s.field])).toEqual([[CODE, 'no-field']]);
    expect((await model()).submitted).toBe(0);
  });

  it('reports a too-short fast burst as rejected and lets its characters and Enter through', async () => {
    await page.focus('#field');
    await scannerTypes('ABC123');
    expect(await scans()).toEqual([]);
    expect(await page.inputValue('#field')).toBe('ABC123');
    expect((await model()).submitted).toBe(1);
    expect(await js('window.__lastRejection()')).toMatchObject({ reason: 'too-short', length: 6 });
  });

  it('keeps a scan whole across a scanner stall, and refuses a burst slower than the configured average', async () => {
    await page.focus('#field');
    await scannerTypes(CODE, { gap: (i) => (i === 9 ? 180 : 12) });
    expect((await scans()).map((s) => [s.text, s.field])).toEqual([[CODE, 'removed']]);
    expect(await page.inputValue('#field')).toBe('');
    await scannerTypes(CODE, { gap: () => 50 });
    expect(await scans()).toHaveLength(1);
    expect(await js('window.__lastRejection()')).toMatchObject({ reason: 'too-slow', length: CODE.length });
    expect(await page.inputValue('#field')).toBe(CODE); // not a scan: the characters are the user's
  });

  it('stops listening when the component is unmounted', async () => {
    await js('window.__wedge.unmount()');
    expect(await js('window.__listening()')).toBe(false);
    await scan('Enter');
    expect(await scans()).toEqual([]);
  });
});
