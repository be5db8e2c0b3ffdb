import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ContentDigester, combineDigests, lineCount } from './content-digest.js';

const text = Buffer.from('one\ntwo\nthree\n'.repeat(50) + 'tail without newline');
const sha256 = createHash('sha256').update(text).digest('hex');

describe('content digest', () => {
  it('gives the same digest from the whole-content measures as from the histogram', () => {
    const viaHistogram = new ContentDigester(['sha256']);
    viaHistogram.update(text);
    const fromHistogram = combineDigests([viaHistogram.finishPartial()], text.length);

    const viaMeasures = new ContentDigester(['sha256']);
    viaMeasures.update(text);
    const whole = viaMeasures.finishWhole();
    expect(whole.histogram).toBeUndefined();
    expect(whole.measures).toBeDefined();
    const fromMeasures = combineDigests([whole], text.length);

    expect(fromMeasures).toEqual(fromHistogram);
    expect(fromMeasures.digests.sha256).toBe(sha256);
    expect(fromMeasures.newlines).toBe(150);
    expect(lineCount(fromMeasures)).toBe(151);
    expect(fromMeasures.entropy).toBeGreaterThan(2);
  });

  it('joins the histograms of two shares into the digest of the whole', () => {
    const cut = 333;
    const first = new ContentDigester(['sha256']);
    first.update(text.subarray(0, cut));
    first.update(text.subarray(cut), false);
    const second = new ContentDigester([]);
    second.countOnly(text.subarray(cut));
    const joined = combineDigests([first.finishPartial(), second.finishPartial()], text.length);
    const single = new ContentDigester(['sha256']);
    single.update(text);
    expect(joined).toEqual(single.finish());
  });

  it('refuses to join a whole content with another part', () => {
    const a = new ContentDigester(['sha256']);
    a.update(text);
    const b = new ContentDigester([]);
    b.countOnly(text);
    expect(() => combineDigests([a.finishWhole(), b.finishPartial()], text.length)).toThrow(
      /cannot be joined/,
    );
  });
});
