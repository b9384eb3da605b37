import { describe, expect, it } from 'vitest';
import { decideViewerAccess, type ViewerAccessInput } from '../../../main/viewer/access';
import {
  attachmentAppUrl,
  attachmentHttpPath,
  parseAttachmentAppUrl,
  parseAttachmentHttpPath,
} from '../../../common/attachment-url';

const ok: ViewerAccessInput = {
  session: 'unlocked',
  recordOpen: true,
  listed: { contentType: 'image/png', size: 100 },
  cached: { bytes: 100 },
};

describe('viewer access decision', () => {
  it('serves the open record of the signed-in, unlocked clinician, once cached with the listed size', () => {
    expect(decideViewerAccess(ok)).toEqual({ allow: true, contentType: 'image/png', size: 100 });
  });
  it.each([
    ['signed out', { ...ok, session: 'signed-out' }, 401, 'NOT_SIGNED_IN'],
    ['locked', { ...ok, session: 'locked' }, 403, 'SESSION_LOCKED'],
    ['record closed or expired', { ...ok, recordOpen: false }, 403, 'ACCESS_EXPIRED'],
    ['an id the record does not list', { ...ok, listed: null }, 404, 'ATTACHMENT_UNKNOWN'],
    ['not in the cache yet', { ...ok, cached: null }, 409, 'CACHE_RECORD_MISSING'],
    ['a cached copy of another size', { ...ok, cached: { bytes: 99 } }, 409, 'CACHE_CORRUPT'],
  ] as const)('%s: refused', (_name, input, status, code) => {
    expect(decideViewerAccess(input as ViewerAccessInput)).toEqual({ allow: false, status, code });
  });
  it('a locked session is refused even with everything else in place (the order of the checks)', () => {
    expect(decideViewerAccess({ ...ok, session: 'locked', recordOpen: false, listed: null })).toMatchObject({
      code: 'SESSION_LOCKED',
    });
  });
});

describe('attachment URLs', () => {
  const ref = { recordId: 'rec/1 é', attachmentId: 'att?#%' };
  it('round-trip through the app scheme and the harness path (ids percent-encoded)', () => {
    const url = attachmentAppUrl(ref);
    expect(url).toBe('hcp-attachment://record/rec%2F1%20%C3%A9/att%3F%23%25');
    expect(parseAttachmentAppUrl(url)).toEqual(ref);
    expect(attachmentHttpPath(ref)).toBe('/hcp-attachment/rec%2F1%20%C3%A9/att%3F%23%25');
    expect(parseAttachmentHttpPath(attachmentHttpPath(ref))).toEqual(ref);
    expect(parseAttachmentAppUrl(attachmentAppUrl({ recordId: 'R-1', attachmentId: 'A' }))).toEqual({
      recordId: 'R-1',
      attachmentId: 'A',
    });
  });
  it.each([
    'app://record/a/b',
    'hcp-attachment://other/a/b',
    'hcp-attachment://record/a',
    'hcp-attachment://record/a/b/c',
    'hcp-attachment://record//b',
    'hcp-attachment://record/a/b?x=1',
    'hcp-attachment://record/a/b#f',
    'hcp-attachment://user@record/a/b',
    'hcp-attachment://record:8080/a/b',
    'hcp-attachment://record/a/%E0%A4%A',
    'hcp-attachment://record/a/%00',
    `hcp-attachment://record/${'x'.repeat(201)}/b`,
    'not a url',
  ])('refuses %s', (url) => {
    expect(parseAttachmentAppUrl(url)).toBeNull();
  });
  it('refuses harness paths that are not an attachment', () => {
    expect(parseAttachmentHttpPath('/ipc/emergency.open')).toBeNull();
    expect(parseAttachmentHttpPath('/hcp-attachment/a')).toBeNull();
    expect(parseAttachmentHttpPath('/hcp-attachment/a/b/c')).toBeNull();
  });
});
