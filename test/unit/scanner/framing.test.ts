import { describe, expect, it } from 'vitest';
import { ScanFramer, type FramerOutput } from '../../../main/scanner/framing';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const texts = (out: FramerOutput[]) => out.map((o) => (o.kind === 'scan' ? o.text : `<discarded ${o.length}>`));

describe('ScanFramer', () => {
  it('frames on CR, LF and CR LF, dropping empty frames', () => {
    const f = new ScanFramer();
    expect(texts(f.push(bytes('ABC\rDEF\nGHI\r\n\r\nJKL')))).toEqual(['ABC', 'DEF', 'GHI']);
    expect(texts(f.push(bytes('MN\r')))).toEqual(['JKLMN']);
  });

  it('keeps a scan split across chunks anywhere', () => {
    const f = new ScanFramer();
    const all = [...'HCP1ABCDEF\r\n'].flatMap((c) => texts(f.push(bytes(c))));
    expect(all).toEqual(['HCP1ABCDEF']);
  });

  it('uses a configured terminator and strips a prefix and suffix', () => {
    const f = new ScanFramer({ terminators: '\t', prefix: '\x02', suffix: '\x03' });
    expect(texts(f.push(bytes('\x02HCP1\x03\tPLAIN\t')))).toEqual(['HCP1', 'PLAIN']);
    const aim = new ScanFramer({ prefix: ']Q1' });
    expect(texts(aim.push(bytes(']Q1HCP1\r')))).toEqual(['HCP1']);
  });

  it('discards an over-long scan up to its terminator, then reads the next', () => {
    const f = new ScanFramer({ maxLength: 8 });
    expect(texts(f.push(bytes('0123456789ABCDEF')))).toEqual([]);
    expect(texts(f.push(bytes('GH\rOK\r')))).toEqual(['<discarded 18>', 'OK']);
  });

  it('decodes latin1 byte for byte, or ascii with U+FFFD for high bytes', () => {
    expect(texts(new ScanFramer().push(Uint8Array.from([0x41, 0xe9, 0x0d])))).toEqual(['A\u00e9']);
    expect(texts(new ScanFramer({ encoding: 'ascii' }).push(Uint8Array.from([0x41, 0xe9, 0x0d])))).toEqual(['A\ufffd']);
  });

  it('forgets a partial scan on reset', () => {
    const f = new ScanFramer();
    f.push(bytes('HALF'));
    f.reset();
    expect(texts(f.push(bytes('NEW\r')))).toEqual(['NEW']);
  });

  it('refuses framing bytes that are not single bytes', () => {
    expect(() => new ScanFramer({ terminators: '' })).toThrow(RangeError);
    expect(() => new ScanFramer({ suffix: 'Ω' })).toThrow(RangeError);
  });
});
