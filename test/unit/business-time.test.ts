import {
  addBusinessMinutes,
  businessMinutesBetween,
  endOfWorkingDaysAfter,
  isWorkingTime,
  nextWorkingInstant,
  upcomingWorkingIntervals,
  validateCalendar,
  InvalidCalendarError,
  type BusinessCalendar,
} from '../../workflows/domain/business-time';

const weekdays = (intervals: Array<{ start: string; end: string }>) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, intervals]));
const officeHours = (timeZone: string, holidays: BusinessCalendar['holidays'] = []): BusinessCalendar => ({
  timeZone,
  weeklyHours: weekdays([{ start: '09:00', end: '17:00' }]),
  holidays,
});
const berlin = officeHours('Europe/Berlin');
const newYork = officeHours('America/New_York');
const at = (iso: string) => new Date(iso);

describe('business time', () => {
  test('when a ticket arrives Friday 16:50 with a 60-minute target, then it is due Monday 09:50', () => {
    // 2026-11-20 is a Friday; Berlin is UTC+1 in November.
    expect(addBusinessMinutes(berlin, at('2026-11-20T16:50:00+01:00'), 60).toISOString()).toBe(at('2026-11-23T09:50:00+01:00').toISOString());
  });

  test('when that Monday is a holiday, then it is due Tuesday 09:50', () => {
    const calendar = officeHours('Europe/Berlin', [{ date: '2026-11-23', name: 'Company day' }]);
    expect(addBusinessMinutes(calendar, at('2026-11-20T16:50:00+01:00'), 60).toISOString()).toBe(at('2026-11-24T09:50:00+01:00').toISOString());
  });

  test.each([
    ['Europe/Berlin spring forward', berlin, '2026-03-27T13:00:00+01:00', '2026-03-30T13:00:00+02:00'],
    ['Europe/Berlin autumn back', berlin, '2026-10-23T13:00:00+02:00', '2026-10-26T13:00:00+01:00'],
    ['America/New_York spring forward', newYork, '2026-03-06T13:00:00-05:00', '2026-03-09T13:00:00-04:00'],
    ['America/New_York autumn back', newYork, '2026-10-30T13:00:00-04:00', '2026-11-02T13:00:00-05:00'],
  ])('when 8 business hours span the %s weekend, then no minute is gained or lost', (_name, calendar, start, due) => {
    expect(addBusinessMinutes(calendar, at(start), 480).toISOString()).toBe(at(due).toISOString());
    expect(businessMinutesBetween(calendar, at(start), at(due))).toBe(480);
  });

  test('when a 24×7 policy spans the spring DST jump, then real elapsed time counts', () => {
    const allDay: BusinessCalendar = { timeZone: 'Europe/Berlin', weeklyHours: {}, holidays: [], twentyFourSeven: true };
    // 00:00 CET + 3 real hours is 04:00 CEST, because 02:00–03:00 never happened.
    const due = addBusinessMinutes(allDay, at('2026-03-29T00:00:00+01:00'), 180);
    expect(due.toISOString()).toBe(at('2026-03-29T04:00:00+02:00').toISOString());
    expect(businessMinutesBetween(allDay, at('2026-03-29T00:00:00+01:00'), due)).toBe(180);
  });

  test('when the day is a split shift 09–12 and 13–17, then lunch does not count', () => {
    const split: BusinessCalendar = { timeZone: 'Europe/Berlin', weeklyHours: weekdays([{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:00' }]), holidays: [] };
    expect(addBusinessMinutes(split, at('2026-11-23T11:30:00+01:00'), 60).toISOString()).toBe(at('2026-11-23T13:30:00+01:00').toISOString());
    expect(businessMinutesBetween(split, at('2026-11-23T09:00:00+01:00'), at('2026-11-23T17:00:00+01:00'))).toBe(420);
    expect(nextWorkingInstant(split, at('2026-11-23T12:15:00+01:00')).toISOString()).toBe(at('2026-11-23T13:00:00+01:00').toISOString());
  });

  test('when paused Friday 16:00 and resumed Monday 10:00, then the pause is exactly 120 business minutes', () => {
    expect(businessMinutesBetween(berlin, at('2026-11-20T16:00:00+01:00'), at('2026-11-23T10:00:00+01:00'))).toBe(120);
  });

  test('when a ticket arrives on a non-working day, then counting starts at the next working instant', () => {
    const saturday = at('2026-11-21T11:00:00+01:00');
    expect(isWorkingTime(berlin, saturday)).toBe(false);
    expect(nextWorkingInstant(berlin, saturday).toISOString()).toBe(at('2026-11-23T09:00:00+01:00').toISOString());
    expect(addBusinessMinutes(berlin, saturday, 30).toISOString()).toBe(at('2026-11-23T09:30:00+01:00').toISOString());
  });

  test('when the target ends exactly at closing time, then it is due at closing time, not next morning', () => {
    expect(addBusinessMinutes(berlin, at('2026-11-23T16:00:00+01:00'), 60).toISOString()).toBe(at('2026-11-23T17:00:00+01:00').toISOString());
  });

  test('when previewing, then the next working intervals skip weekends and holidays', () => {
    const calendar = officeHours('Europe/Berlin', [{ date: '2026-11-23', name: 'Company day' }]);
    const preview = upcomingWorkingIntervals(calendar, at('2026-11-20T18:00:00+01:00'), 2);
    expect(preview.map((i) => i.start.toISOString())).toEqual([at('2026-11-24T09:00:00+01:00').toISOString(), at('2026-11-25T09:00:00+01:00').toISOString()]);
  });

  test('when a calendar is malformed, then every problem is named and arithmetic refuses it', () => {
    const broken: BusinessCalendar = {
      timeZone: 'Mars/Olympus_Mons',
      weeklyHours: { mon: [{ start: '09:00', end: '13:00' }, { start: '12:00', end: '17:00' }], tue: [{ start: '17:00', end: '09:00' }], fun: [] } as BusinessCalendar['weeklyHours'],
      holidays: [{ date: '2026-02-30', name: 'Nope' }],
    };
    expect(validateCalendar(broken).map((p) => p.field)).toEqual(['timeZone', 'weeklyHours.mon.1', 'weeklyHours.tue.0', 'weeklyHours.fun', 'holidays.0.date']);
    expect(() => addBusinessMinutes(broken, at('2026-11-23T10:00:00Z'), 10)).toThrow(InvalidCalendarError);
  });

  test('when a calendar has no working time, then it is refused rather than searched forever', () => {
    expect(validateCalendar({ timeZone: 'UTC', weeklyHours: {}, holidays: [] })).toEqual([{ field: 'weeklyHours', message: 'has no working time at all' }]);
  });
});

describe('working days', () => {
  test('when a ticket is resolved Tuesday 15:00 and closes after 3 business days, then it closes Friday at closing time', () => {
    expect(endOfWorkingDaysAfter(berlin, at('2026-11-24T15:00:00+01:00'), 3).toISOString()).toBe(at('2026-11-27T17:00:00+01:00').toISOString());
  });
  test('when a holiday falls in between, then it is not counted', () => {
    const calendar = officeHours('Europe/Berlin', [{ date: '2026-11-26', name: 'Company day' }]);
    expect(endOfWorkingDaysAfter(calendar, at('2026-11-24T15:00:00+01:00'), 3).toISOString()).toBe(at('2026-11-30T17:00:00+01:00').toISOString());
  });
});
