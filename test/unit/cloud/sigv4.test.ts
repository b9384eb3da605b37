import { describe, expect, it } from 'vitest';
import { amzDate, authorizationHeader, canonicalRequest, sha256Hex } from '../../../main/cloud/sigv4';

// AWS's worked example ("Examples of the complete Signature Version 4 signing process", IAM ListUsers).
const date = new Date('2015-08-30T12:36:00Z');
const request = {
  method: 'GET',
  url: new URL('https://iam.amazonaws.com/?Version=2010-05-08&Action=ListUsers'),
  headers: {
    'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
    Host: 'iam.amazonaws.com',
    'X-Amz-Date': '20150830T123600Z',
  },
  payloadHash: sha256Hex(''),
};

describe('SigV4', () => {
  it('formats the date', () => {
    expect(amzDate(date)).toBe('20150830T123600Z');
  });

  it("builds AWS's canonical request (query sorted, headers lowercased and sorted)", () => {
    const { text, signedHeaders } = canonicalRequest(request);
    expect(signedHeaders).toBe('content-type;host;x-amz-date');
    expect(sha256Hex(text)).toBe('f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
  });

  it("produces AWS's published signature", () => {
    const header = authorizationHeader(
      request,
      { accessKey: 'AKIDEXAMPLE', secretKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      'us-east-1',
      'iam',
      date,
    );
    expect(header).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
    );
  });

  it('percent-encodes query values the RFC 3986 way', () => {
    const { text } = canonicalRequest({ ...request, url: new URL("https://h/?b=a b*&a=x'y") });
    expect(text.split('\n')[2]).toBe('a=x%27y&b=a%20b%2A');
  });
});
