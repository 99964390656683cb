import { activeFreezeWindow, describeFreezeWindow, freezeEndsAt, freezeWindowSchema, type FreezeWindow } from '../../common/freeze-windows';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0) => Date.UTC(y, mo - 1, d, h, mi, s);

describe('weekend freeze in UTC', () => {
  const weekend: FreezeWindow = { days: ['sat', 'sun'], from: '00:00', to: '24:00', timezone: 'UTC' };

  it('Saturday noon is frozen until Monday 00:00 UTC', () => {
    const saturdayNoon = utc(2026, 1, 10, 12); // 2026-01-10 is a Saturday
    expect(activeFreezeWindow([weekend], saturdayNoon)).toBe(weekend);
    expect(freezeEndsAt([weekend], saturdayNoon)).toBe(utc(2026, 1, 12));
  });

  it('the window is [from, to): Monday 00:00 is free, Saturday 00:00 is frozen', () => {
    expect(activeFreezeWindow([weekend], utc(2026, 1, 12))).toBeUndefined();
    expect(activeFreezeWindow([weekend], utc(2026, 1, 9, 23, 59, 59) + 999)).toBeUndefined();
    expect(activeFreezeWindow([weekend], utc(2026, 1, 10))).toBe(weekend);
    expect(freezeEndsAt([weekend], utc(2026, 1, 11, 23, 59, 59))).toBe(utc(2026, 1, 12));
  });

  it('outside any window there is no active window and no end', () => {
    const wednesday = utc(2026, 1, 14, 12);
    expect(activeFreezeWindow([weekend], wednesday)).toBeUndefined();
    expect(freezeEndsAt([weekend], wednesday)).toBeUndefined();
    expect(freezeEndsAt([], wednesday)).toBeUndefined();
  });
});

describe('window wrapping past midnight in Europe/Berlin', () => {
  // Berlin is UTC+1 in January.
  const fridayNight: FreezeWindow = {
    days: ['fri'],
    from: '18:00',
    to: '08:00',
    timezone: 'Europe/Berlin',
    reason: 'release freeze',
  };

  it('Friday 20:00 Berlin is frozen until Saturday 08:00 Berlin', () => {
    const friday2000 = utc(2026, 1, 9, 19);
    expect(activeFreezeWindow([fridayNight], friday2000)).toBe(fridayNight);
    expect(freezeEndsAt([fridayNight], friday2000)).toBe(utc(2026, 1, 10, 7));
  });

  it("Saturday 07:00 Berlin is the tail of Friday's window", () => {
    const saturday0700 = utc(2026, 1, 10, 6);
    expect(activeFreezeWindow([fridayNight], saturday0700)).toBe(fridayNight);
    expect(freezeEndsAt([fridayNight], saturday0700)).toBe(utc(2026, 1, 10, 7));
  });

  it('only listed days start a window', () => {
    expect(activeFreezeWindow([fridayNight], utc(2026, 1, 9, 16, 59))).toBeUndefined(); // Fri 17:59
    expect(activeFreezeWindow([fridayNight], utc(2026, 1, 10, 7))).toBeUndefined(); // Sat 08:00
    expect(activeFreezeWindow([fridayNight], utc(2026, 1, 10, 19))).toBeUndefined(); // Sat 20:00
    expect(activeFreezeWindow([fridayNight], utc(2026, 1, 8, 23, 30))).toBeUndefined(); // Fri 00:30, Thu not listed
  });
});

describe('chained windows', () => {
  it('follows back-to-back and overlapping windows across zones', () => {
    const windows: FreezeWindow[] = [
      { days: ['fri'], from: '18:00', to: '24:00', timezone: 'UTC' },
      // Sat 00:00Z–09:00Z: starts exactly where the first ends.
      { days: ['sat'], from: '01:00', to: '10:00', timezone: 'Europe/Berlin' },
      // Sat 08:00Z–10:00Z: overlaps the Berlin window and outlasts it.
      { days: ['sat'], from: '03:00', to: '05:00', timezone: 'America/New_York' },
    ];
    expect(freezeEndsAt(windows, utc(2026, 1, 9, 19))).toBe(utc(2026, 1, 10, 10));
    expect(activeFreezeWindow(windows, utc(2026, 1, 10, 9, 30))).toBe(windows[2]);
    expect(activeFreezeWindow(windows, utc(2026, 1, 10, 10))).toBeUndefined();
  });

  it('stops at the first gap between windows', () => {
    const windows: FreezeWindow[] = [
      { days: ['mon'], from: '09:00', to: '12:00', timezone: 'UTC' },
      { days: ['mon'], from: '12:01', to: '13:00', timezone: 'UTC' },
    ];
    expect(freezeEndsAt(windows, utc(2026, 1, 12, 10))).toBe(utc(2026, 1, 12, 12));
  });

  it('throws when the windows never end', () => {
    const always: FreezeWindow = {
      days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
      from: '00:00',
      to: '24:00',
      timezone: 'UTC',
    };
    expect(() => freezeEndsAt([always], utc(2026, 1, 12))).toThrow('freeze windows never end');
  });
});

describe('DST in America/New_York', () => {
  const overnight: FreezeWindow = { days: ['sat'], from: '20:00', to: '08:00', timezone: 'America/New_York' };

  it('spring forward (8 March 2026): Sunday 08:00 EDT is 12:00Z, not 13:00Z', () => {
    const saturday2200Est = utc(2026, 3, 8, 3);
    expect(activeFreezeWindow([overnight], saturday2200Est)).toBe(overnight);
    expect(freezeEndsAt([overnight], saturday2200Est)).toBe(utc(2026, 3, 8, 12));
  });

  it('fall back (1 November 2026): Sunday 08:00 EST is 13:00Z', () => {
    const saturday2200Edt = utc(2026, 11, 1, 2);
    expect(freezeEndsAt([overnight], saturday2200Edt)).toBe(utc(2026, 11, 1, 13));
  });

  it('an end time skipped by spring forward ends the freeze when the clock jumps', () => {
    // 02:30 does not exist on 8 March 2026: clocks go from 01:59:59 EST to 03:00 EDT (07:00Z).
    const w: FreezeWindow = { days: ['sat'], from: '22:00', to: '02:30', timezone: 'America/New_York' };
    expect(freezeEndsAt([w], utc(2026, 3, 8, 4))).toBe(utc(2026, 3, 8, 7));
    expect(activeFreezeWindow([w], utc(2026, 3, 8, 6, 59, 59))).toBe(w);
    expect(activeFreezeWindow([w], utc(2026, 3, 8, 7))).toBeUndefined();
  });
});

describe('freezeWindowSchema', () => {
  const valid = { days: ['fri'], from: '18:00', to: '08:00', timezone: 'Europe/Berlin' };

  function issues(input: unknown) {
    const result = freezeWindowSchema.safeParse(input);
    if (result.success) throw new Error('expected the input to be rejected');
    return result.error.issues.map((i) => ({ path: i.path, message: i.message }));
  }

  it('accepts a valid window, including 24:00 as an end', () => {
    expect(freezeWindowSchema.parse(valid)).toEqual(valid);
    expect(freezeWindowSchema.safeParse({ ...valid, from: '00:00', to: '24:00', reason: 'x' }).success).toBe(true);
  });

  it('rejects an unknown day', () => {
    expect(issues({ ...valid, days: ['fri', 'fry'] })).toEqual([{ path: ['days', 1], message: expect.stringContaining('"mon"') }]);
    expect(issues({ ...valid, days: [] })).toEqual([{ path: ['days'], message: expect.any(String) }]);
  });

  it('rejects 25:00 and a 24:00 start', () => {
    expect(issues({ ...valid, from: '25:00' })).toEqual([{ path: ['from'], message: 'expected HH:MM between 00:00 and 23:59' }]);
    expect(issues({ ...valid, to: '25:00' })).toEqual([{ path: ['to'], message: 'expected HH:MM between 00:00 and 24:00' }]);
    expect(issues({ ...valid, from: '24:00' })).toEqual([{ path: ['from'], message: 'expected HH:MM between 00:00 and 23:59' }]);
  });

  it('rejects an unknown time zone', () => {
    expect(issues({ ...valid, timezone: 'Mars/Base' })).toEqual([{ path: ['timezone'], message: 'unknown time zone "Mars/Base"' }]);
  });

  it('rejects from == to', () => {
    expect(issues({ ...valid, from: '08:00', to: '08:00' })).toEqual([{ path: ['to'], message: expect.stringMatching(/must differ/) }]);
  });

  it('rejects unknown keys', () => {
    expect(issues({ ...valid, timeZone: 'UTC' })).toEqual([{ path: [], message: expect.stringMatching(/timeZone/) }]);
  });
});

describe('describeFreezeWindow', () => {
  it('formats days, times, zone and reason', () => {
    expect(describeFreezeWindow({ days: ['fri'], from: '18:00', to: '08:00', timezone: 'Europe/Berlin', reason: 'release freeze' })).toBe('fri 18:00–08:00 Europe/Berlin (release freeze)');
    expect(describeFreezeWindow({ days: ['sat', 'sun'], from: '00:00', to: '24:00', timezone: 'UTC' })).toBe('sat,sun 00:00–24:00 UTC');
  });
});
