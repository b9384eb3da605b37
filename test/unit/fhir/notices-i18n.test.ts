import { describe, expect, it } from 'vitest';
import { ViewNoticeCode } from '../../../common/emergency-view';
import { LOCALES, MESSAGES } from '../../../common/i18n/messages';

describe('view notices', () => {
  it('every notice code of the view model has a message in every language', () => {
    for (const locale of LOCALES) {
      const notices = (MESSAGES[locale] as unknown as { notices: Record<string, string> }).notices;
      for (const code of ViewNoticeCode.options) expect(notices[code], `${locale}: notices.${code}`).toBeTruthy();
    }
  });
});
