import {
  addBusinessMinutes,
  businessMillisBetween,
  endOfWorkingDaysAfter,
  indexedCalendar,
  InvalidCalendarError,
  isUsableCalendar,
  nextWorkingInstant,
  type BusinessCalendar,
  validateCalendar,
  withoutCalendarMemo,
} from '../../workflows/domain/business-time';

/**
 * Memoised days must answer exactly as days computed afresh, across zones whose offsets are
 * not whole hours and days a DST change makes 23 or 25 hours long: for an indexed calendar
 * (frozen, memoised by identity: what the SLA what-if replays through) and for a plain one
 * (memoised by content: what the ticket workflow's clocks use).
 */

const weekdays = (hours: Array<{ start: string; end: string }>) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, hours]));
const CALENDARS: Array<[string, BusinessCalendar]> = [
  ['Berlin, one shift, holidays', { timeZone: 'Europe/Berlin', weeklyHours: weekdays([{ start: '09:00', end: '17:00' }]), holidays: [{ date: '2026-03-30', name: 'Day after the DST change' }, { date: '2026-12-24', name: 'Christmas Eve' }] }],
  ['Kathmandu (+05:45), split shift', { timeZone: 'Asia/Kathmandu', weeklyHours: weekdays([{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:30' }]), holidays: [] }],
  ['New York, night shift to midnight', { timeZone: 'America/New_York', weeklyHours: { ...weekdays([{ start: '16:00', end: '24:00' }]), sat: [{ start: '00:00', end: '02:00' }] }, holidays: [{ date: '2026-11-26', name: 'Thanksgiving' }] }],
  ['Santiago (DST at midnight), mornings', { timeZone: 'America/Santiago', weeklyHours: weekdays([{ start: '00:00', end: '06:00' }]), holidays: [] }],
];

// A deterministic spread of instants over 2026 and minutes up to three working weeks.
function* cases(count: number): Generator<{ at: Date; to: Date; minutes: number; days: number }> {
  let seed = 20261202;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const start = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    const at = new Date(start + Math.floor(next() * 365 * 86_400_000));
    yield { at, to: new Date(at.getTime() + Math.floor(next() * 30 * 86_400_000)), minutes: Math.floor(next() * 7200), days: 1 + Math.floor(next() * 5) };
  }
}

describe('indexed calendars', () => {
  const answers = (calendar: BusinessCalendar) =>
    [...cases(400)].map(({ at, to, minutes, days }) => [
      addBusinessMinutes(calendar, at, minutes).toISOString(),
      businessMillisBetween(calendar, at, to),
      nextWorkingInstant(calendar, at).toISOString(),
      endOfWorkingDaysAfter(calendar, at, days).toISOString(),
    ]);

  test.each(CALENDARS)('when %s is indexed, then every answer equals the one computed afresh', (_name, calendar) => {
    const reference = withoutCalendarMemo(() => answers(calendar));
    expect(answers(indexedCalendar(calendar))).toEqual(reference);
  });

  test.each(CALENDARS)('when %s is asked about twice as a plain object, then every answer equals the one computed afresh', (_name, calendar) => {
    const reference = withoutCalendarMemo(() => answers(calendar));
    // A structurally equal copy: the second asks of the days the first memoised.
    expect(answers(calendar)).toEqual(reference);
    expect(answers(JSON.parse(JSON.stringify(calendar)) as BusinessCalendar)).toEqual(reference);
  });

  test('when more calendars are asked about than the memo keeps, interleaved with one asked about all along, then every answer equals the one computed afresh', () => {
    // Seventy calendars of distinct content (one holiday each), past the fifty the memo keeps: each
    // new one pushes an older one out, while Berlin, asked between every two, stays or comes back.
    const many = Array.from({ length: 70 }, (_, i): BusinessCalendar => ({ ...CALENDARS[1]![1], holidays: [{ date: `2026-0${1 + (i % 9)}-${String(1 + (i % 28)).padStart(2, '0')}`, name: `Day ${i}` }, { date: `2027-01-${String(1 + (i % 28)).padStart(2, '0')}`, name: `Other ${i}` }] }));
    const berlin = CALENDARS[0]![1];
    const ask = (calendar: BusinessCalendar) => [...cases(20)].map(({ at, minutes }) => addBusinessMinutes(calendar, at, minutes).toISOString());
    const reference = withoutCalendarMemo(() => ({ berlin: ask(berlin), many: many.map(ask) }));
    for (let round = 0; round < 2; round++) {
      many.forEach((calendar, i) => {
        expect(ask(calendar)).toEqual(reference.many[i]);
        expect(ask(berlin)).toEqual(reference.berlin);
      });
    }
  });

  test('when a plain calendar is changed in place, then its answers follow the change', () => {
    const calendar: BusinessCalendar = JSON.parse(JSON.stringify(CALENDARS[0]![1]));
    const monday = new Date('2026-12-07T08:00:00Z'); // 09:00 in Berlin
    expect(nextWorkingInstant(calendar, monday).toISOString()).toBe('2026-12-07T08:00:00.000Z');
    calendar.holidays.push({ date: '2026-12-07', name: 'Company day' });
    expect(nextWorkingInstant(calendar, monday).toISOString()).toBe('2026-12-08T08:00:00.000Z');
    calendar.weeklyHours.tue = [{ start: '10:00', end: '17:00' }];
    expect(nextWorkingInstant(calendar, monday).toISOString()).toBe('2026-12-08T09:00:00.000Z');
  });

  test('when two calendars have the same hours and holidays in different zones, then each answers for its own zone, also when one is changed in place', () => {
    const hours = weekdays([{ start: '09:00', end: '17:00' }]);
    const berlin: BusinessCalendar = { timeZone: 'Europe/Berlin', weeklyHours: hours, holidays: [] };
    const tokyo: BusinessCalendar = { timeZone: 'Asia/Tokyo', weeklyHours: hours, holidays: [] };
    const monday = new Date('2026-12-07T05:00:00Z'); // 06:00 in Berlin, 14:00 in Tokyo
    expect(nextWorkingInstant(berlin, monday).toISOString()).toBe('2026-12-07T08:00:00.000Z');
    expect(nextWorkingInstant(tokyo, monday).toISOString()).toBe('2026-12-07T05:00:00.000Z');
    berlin.timeZone = 'Asia/Tokyo';
    expect(nextWorkingInstant(berlin, monday).toISOString()).toBe('2026-12-07T05:00:00.000Z');
  });

  test('when a calendar names a day that is not a weekday with no hours, then it is refused, whether or not its valid twin was asked about first', () => {
    const valid: BusinessCalendar = { timeZone: 'Europe/Berlin', weeklyHours: { mon: [{ start: '09:00', end: '17:00' }] }, holidays: [] };
    const odd = { ...valid, weeklyHours: { ...valid.weeklyHours, holiday: undefined } } as unknown as BusinessCalendar;
    const monday = new Date('2026-12-07T08:00:00Z');
    expect(nextWorkingInstant(valid, monday).toISOString()).toBe('2026-12-07T08:00:00.000Z');
    expect(() => nextWorkingInstant(odd, monday)).toThrow(InvalidCalendarError);
    expect(nextWorkingInstant(valid, monday).toISOString()).toBe('2026-12-07T08:00:00.000Z');
  });

  test('when the SLA clocks ask whether a calendar is usable, then the memo answers as validation does, for each content and after a change in place', () => {
    const valid: BusinessCalendar = { timeZone: 'Europe/Berlin', weeklyHours: { mon: [{ start: '09:00', end: '17:00' }] }, holidays: [{ date: '2026-12-24', name: 'Christmas Eve' }] };
    const variants: BusinessCalendar[] = [
      valid,
      { ...valid, timeZone: 'Mars/Olympus' },
      { ...valid, weeklyHours: { ...valid.weeklyHours, holiday: undefined } } as unknown as BusinessCalendar,
      { ...valid, weeklyHours: { mon: [{ start: '17:00', end: '09:00' }] } },
      { ...valid, holidays: [...valid.holidays, { date: '2026-02-30', name: 'No such day' }] },
      { ...valid, weeklyHours: {}, twentyFourSeven: true },
    ];
    for (const calendar of variants) expect([isUsableCalendar(calendar), isUsableCalendar(calendar)]).toEqual([validateCalendar(calendar).length === 0, validateCalendar(calendar).length === 0]);
    expect(variants.map((c) => isUsableCalendar(c))).toEqual([true, false, false, false, false, true]);
    const edited: BusinessCalendar = { ...valid, weeklyHours: { mon: [{ start: '09:00', end: '17:00' }] } };
    expect(isUsableCalendar(edited)).toBe(true);
    edited.weeklyHours.mon = [{ start: '18:00', end: '08:00' }];
    expect(isUsableCalendar(edited)).toBe(false);
  });

  test('when a refusal is caught and its problems changed, then the next refusal still names them all', () => {
    const empty: BusinessCalendar = { timeZone: 'Europe/Berlin', weeklyHours: {}, holidays: [] };
    const refusal = () => {
      try {
        nextWorkingInstant(empty, new Date());
      } catch (err) {
        return err as InvalidCalendarError;
      }
      throw new Error('expected a refusal');
    };
    refusal().problems.length = 0;
    expect(refusal().problems).toEqual([{ field: 'weeklyHours', message: 'has no working time at all' }]);
  });

  test('when a span is longer than the memo keeps (over 10,000 days), then the business time in it equals the one computed afresh', () => {
    const [, calendar] = CALENDARS[2]!;
    const from = new Date('2000-01-01T00:00:00Z');
    const to = new Date('2031-06-30T00:00:00Z');
    const reference = withoutCalendarMemo(() => businessMillisBetween(calendar, from, to));
    expect(businessMillisBetween(calendar, from, to)).toBe(reference);
    expect(businessMillisBetween(calendar, from, to)).toBe(reference);
  });

  test('when an indexed calendar is changed in place, then the change is refused (its memo could not follow it)', () => {
    const indexed = indexedCalendar(CALENDARS[0]![1]);
    expect(() => (indexed.holidays as Array<{ date: string; name: string }>).push({ date: '2026-12-31', name: 'New Year’s Eve' })).toThrow(TypeError);
    expect(() => {
      indexed.weeklyHours.mon![0]!.end = '18:00';
    }).toThrow(TypeError);
    expect(CALENDARS[0]![1].holidays).toHaveLength(2);
  });

  test('when an unusable calendar is indexed, then it is refused with its problems', () => {
    expect(() => indexedCalendar({ timeZone: 'Europe/Berlin', weeklyHours: {}, holidays: [] })).toThrow(InvalidCalendarError);
  });
});
