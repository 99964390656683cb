import { durationSchema, formatDuration, parseDuration } from '../../common/duration';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['3d', 259_200_000],
    ['72h', 259_200_000],
    ['1w', 604_800_000],
    ['1.5h', 5_400_000],
    ['1m30s500ms', 90_500],
    ['0s', 0],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('rounds fractions of a millisecond to whole milliseconds', () => {
    expect(parseDuration('2.5ms')).toBe(3);
    expect(parseDuration('1.25s')).toBe(1_250);
    expect(parseDuration('0.4ms')).toBe(0);
  });

  it('ignores whitespace between and around the parts', () => {
    expect(parseDuration(' 1h 30m ')).toBe(5_400_000);
  });

  it.each(['', '15 minutes please', '10', 'm', '-5s', '1H', '.5s', '5 sec', '1h30', 'h1', '30s!'])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [500, '500ms'],
    [30_000, '30s'],
    [60_000, '1m'],
    [900_000, '15m'],
    [5_400_000, '1h30m'],
    [259_200_000, '3d'],
    [90_061_001, '1d1h1m1s1ms'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each([0, 500, 30_000, 900_000, 5_400_000, 259_200_000, 90_061_001, 604_800_000])('%d ms survives a round trip through formatDuration and parseDuration', (ms) => {
    expect(parseDuration(formatDuration(ms))).toBe(ms);
  });

  it.each(['30s', '15m', '1h30m', '3d', '500ms', '2h5m10s'])('%s survives a round trip through parseDuration and formatDuration', (text) => {
    expect(formatDuration(parseDuration(text)!)).toBe(text);
  });
});

describe('durationSchema', () => {
  it('turns a duration string into milliseconds', () => {
    expect(durationSchema.parse('15m')).toBe(900_000);
  });

  it('rejects a bad duration with a message that quotes the value', () => {
    const result = durationSchema.safeParse('15 minutes please');
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual(['"15 minutes please" is not a duration (examples: 30s, 15m, 1h30m, 3d)']);
  });

  it('rejects a number: durations are written with a unit', () => {
    expect(durationSchema.safeParse(900_000).success).toBe(false);
  });
});
