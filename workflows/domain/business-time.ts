import { DateTime } from 'luxon';

/**
 * Business time on a calendar: an IANA time zone, weekly working intervals (several a
 * day allowed) and holidays — or 24×7. Pure and deterministic: every function takes the
 * instants it works on, so the workflow (to set its timers) and the API/portal (to show
 * countdowns) compute identical answers.
 *
 * Working intervals are wall-clock times in the calendar's zone, turned into real
 * instants day by day; durations are then measured between real instants. So a DST
 * change never gains or loses a minute inside 09:00–17:00, and a 24×7 policy counts
 * exactly the real elapsed time.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WorkingInterval {
  /** "HH:MM", 24-hour clock, in the calendar's time zone. */
  start: string;
  /** "HH:MM" after start; "24:00" means the end of the day. */
  end: string;
}

export interface Holiday {
  /** "YYYY-MM-DD" in the calendar's time zone. */
  date: string;
  name: string;
}

export interface BusinessCalendar {
  timeZone: string;
  weeklyHours: Partial<Record<Weekday, WorkingInterval[]>>;
  holidays: Holiday[];
  /** Around the clock: every real minute counts; weekly hours and holidays are ignored. */
  twentyFourSeven?: boolean;
}

export interface CalendarProblem {
  field: string;
  message: string;
}

const MINUTE = 60_000;
/** How far ahead to look for working time before declaring a calendar empty. */
const SEARCH_DAYS = 3 * 366;
const CLOCK = /^(\d{2}):(\d{2})$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

function minutesOfDay(clock: string): number | undefined {
  const match = CLOCK.exec(clock);
  if (!match) return undefined;
  const [hours, minutes] = [Number(match[1]), Number(match[2])];
  if (minutes > 59 || hours > 24 || (hours === 24 && minutes !== 0)) return undefined;
  return hours * 60 + minutes;
}

/** Every problem with a calendar, each naming its field; an empty list means it is usable. */
export function validateCalendar(calendar: BusinessCalendar): CalendarProblem[] {
  if (INDEXES.has(calendar)) return [];
  const problems: CalendarProblem[] = [];
  if (!DateTime.local().setZone(calendar.timeZone).isValid) {
    problems.push({ field: 'timeZone', message: `unknown time zone "${calendar.timeZone}"` });
  }
  if (calendar.twentyFourSeven) return problems;
  let anyHours = false;
  for (const [day, intervals] of Object.entries(calendar.weeklyHours)) {
    if (!(WEEKDAYS as readonly string[]).includes(day)) {
      problems.push({ field: `weeklyHours.${day}`, message: 'is not a weekday (mon…sun)' });
      continue;
    }
    const parsed: Array<{ start: number; end: number; index: number }> = [];
    (intervals ?? []).forEach((interval, index) => {
      const field = `weeklyHours.${day}.${index}`;
      const start = minutesOfDay(interval.start);
      const end = minutesOfDay(interval.end);
      if (start === undefined || start >= 24 * 60) problems.push({ field: `${field}.start`, message: 'must be HH:MM between 00:00 and 23:59' });
      if (end === undefined) problems.push({ field: `${field}.end`, message: 'must be HH:MM between 00:01 and 24:00' });
      if (start === undefined || end === undefined) return;
      if (end <= start) problems.push({ field, message: `ends (${interval.end}) before it starts (${interval.start})` });
      else parsed.push({ start, end, index });
    });
    parsed.sort((a, b) => a.start - b.start);
    for (let i = 1; i < parsed.length; i++) {
      if (parsed[i]!.start < parsed[i - 1]!.end) {
        problems.push({ field: `weeklyHours.${day}.${parsed[i]!.index}`, message: 'overlaps another interval of the same day' });
      }
    }
    if (parsed.length > 0) anyHours = true;
  }
  if (!anyHours) problems.push({ field: 'weeklyHours', message: 'has no working time at all' });
  const seen = new Set<string>();
  calendar.holidays.forEach((holiday, index) => {
    const valid = ISO_DATE.test(holiday.date) && DateTime.fromISO(holiday.date, { zone: 'UTC' }).isValid;
    if (!valid) problems.push({ field: `holidays.${index}.date`, message: 'must be a real date YYYY-MM-DD' });
    else if (seen.has(holiday.date)) problems.push({ field: `holidays.${index}.date`, message: 'is listed twice' });
    seen.add(holiday.date);
  });
  return problems;
}

/** Whether a calendar can be used, from the memo of its content when there is one (validating each time showed in profiles). */
export function isUsableCalendar(calendar: BusinessCalendar): boolean {
  return (indexOf(calendar)?.problems ?? validateCalendar(calendar)).length === 0;
}

export class InvalidCalendarError extends Error {
  constructor(readonly problems: CalendarProblem[]) {
    super(`Invalid business calendar: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`);
    this.name = 'InvalidCalendarError';
  }
}

function assertUsable(calendar: BusinessCalendar): void {
  const problems = indexOf(calendar)?.problems ?? validateCalendar(calendar);
  // Copies: whoever catches the error must not be able to change the memo's findings.
  if (problems.length > 0) throw new InvalidCalendarError(problems.map((problem) => ({ ...problem })));
}

/** A working interval as real instants (epoch milliseconds), [start, end). */
export interface InstantInterval {
  start: number;
  end: number;
}

function localDay(calendar: BusinessCalendar, instant: number): DateTime {
  return DateTime.fromMillis(instant, { zone: calendar.timeZone }).startOf('day');
}

function atClock(day: DateTime, minutes: number): number {
  if (minutes === 24 * 60) return day.plus({ days: 1 }).startOf('day').toMillis();
  return day.set({ hour: Math.floor(minutes / 60), minute: minutes % 60, second: 0, millisecond: 0 }).toMillis();
}

/** The working intervals of one local day, as real instants, in order. */
function intervalsOfDay(calendar: BusinessCalendar, day: DateTime): InstantInterval[] {
  const date = day.toISODate()!;
  if (calendar.holidays.some((h) => h.date === date)) return [];
  const weekday = WEEKDAYS[day.weekday - 1]!;
  return (calendar.weeklyHours[weekday] ?? [])
    .map((i) => ({ start: atClock(day, minutesOfDay(i.start)!), end: atClock(day, minutesOfDay(i.end)!) }))
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start - b.start);
}

/** One local day: its real span [start, end) and its working intervals. */
interface Day {
  start: number;
  end: number;
  intervals: InstantInterval[];
}

function dayOf(calendar: BusinessCalendar, day: DateTime): Day {
  return { start: day.toMillis(), end: day.plus({ days: 1 }).startOf('day').toMillis(), intervals: intervalsOfDay(calendar, day) };
}

/**
 * Calendars' days as they are computed, memoised: a ticket's SLA clocks ask about the same few
 * days over and over (each due instant, each summary, each projection), and the API and the
 * what-if ask about many tickets on one team's calendar. Luxon's time-zone arithmetic was the
 * largest share of the workflow thread's time when tickets were created under load, and most of
 * the what-if's replay. The answers are pure functions of the calendar's content, so a memo
 * changes none of them and is safe inside the workflow sandbox (replay computes the same values,
 * memoised or not). The worker preloads this module (temporal/worker.ts), so one memo serves every
 * workflow on a worker thread: it keeps the calendars most recently asked about, and a calendar's
 * days up to a bound.
 *
 * Calendars frozen by `indexedCalendar` keep their memo by identity. Any other calendar shares
 * the memo of every calendar with the same content (its time zone, weekly hours, holidays):
 * a calendar changed in place simply finds another memo.
 */
interface CalendarIndex {
  /** The local days computed so far, in order (they never overlap); found by binary search. */
  days: Day[];
  /** What `validateCalendar` found, for calendars memoised by content. */
  problems: CalendarProblem[];
}
const INDEXES = new WeakMap<BusinessCalendar, CalendarIndex>();
const BY_CONTENT = new Map<string, CalendarIndex>();
/** Past this many calendars of distinct content the one asked about least recently is dropped (edited calendars leave old versions behind). */
const MAX_CALENDARS_BY_CONTENT = 50;
/** Past this many memoised days an index starts afresh rather than grow (about 27 years of days; a few MB). */
const MAX_INDEXED_DAYS = 10_000;
let memoising = true;

/**
 * The content that decides every answer, as a key. A weekday present but undefined counts
 * (validation sees it), hence the weekday names beside the hours; an undefined field inside an
 * interval or holiday answers as an absent one. Asked on every clock step, so no replacer
 * function: that made it about three times slower.
 */
function contentKey(calendar: BusinessCalendar): string {
  const weeklyHours = calendar.weeklyHours as Record<string, unknown> | undefined;
  return JSON.stringify([calendar.timeZone, weeklyHours ? Object.keys(weeklyHours) : null, weeklyHours, calendar.holidays, Boolean(calendar.twentyFourSeven)]);
}

function contentIndex(calendar: BusinessCalendar): CalendarIndex {
  const key = contentKey(calendar);
  let index = BY_CONTENT.get(key);
  // A Map iterates in insertion order: re-inserting on each use keeps the least recent first.
  if (index) BY_CONTENT.delete(key);
  else {
    if (BY_CONTENT.size >= MAX_CALENDARS_BY_CONTENT) BY_CONTENT.delete(BY_CONTENT.keys().next().value!);
    index = { days: [], problems: validateCalendar(calendar) };
  }
  BY_CONTENT.set(key, index);
  return index;
}

/** The memo for `calendar`, or none while memoising is off (the reference answers tests compare against). */
function indexOf(calendar: BusinessCalendar): CalendarIndex | undefined {
  if (!memoising) return undefined;
  return INDEXES.get(calendar) ?? contentIndex(calendar);
}

/** Runs `compute` with every calendar's days computed afresh: the reference the memo must agree with. */
export function withoutCalendarMemo<T>(compute: () => T): T {
  const before = memoising;
  memoising = false;
  try {
    return compute();
  } finally {
    memoising = before;
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * A frozen copy of a usable calendar whose days are memoised by identity: for code that asks
 * about one calendar many times (the what-if replay) and should not pay for finding its memo by
 * content each time. Throws InvalidCalendarError when it is not usable.
 */
export function indexedCalendar<T extends BusinessCalendar>(calendar: T): T {
  if (INDEXES.has(calendar)) return calendar;
  assertUsable(calendar);
  const copy = deepFreeze({
    ...calendar,
    weeklyHours: Object.fromEntries(Object.entries(calendar.weeklyHours).map(([day, intervals]) => [day, (intervals ?? []).map((i) => ({ ...i }))])),
    holidays: calendar.holidays.map((h) => ({ ...h })),
  }) as T;
  INDEXES.set(copy, { days: [], problems: [] });
  return copy;
}

/** The local day `instant` falls in. */
function dayAt(calendar: BusinessCalendar, instant: number): Day {
  const index = indexOf(calendar);
  if (!index) return dayOf(calendar, localDay(calendar, instant));
  const { days } = index;
  // The last memoised day starting at or before `instant`: it is the day if `instant` is inside it.
  let before = -1;
  for (let low = 0, high = days.length - 1; low <= high; ) {
    const middle = (low + high) >> 1;
    if (days[middle]!.start <= instant) {
      before = middle;
      low = middle + 1;
    } else high = middle - 1;
  }
  if (before >= 0 && instant < days[before]!.end) return days[before]!;
  if (days.length >= MAX_INDEXED_DAYS) {
    days.length = 0;
    before = -1;
  }
  // The new day lies after the one before it and ends before the next one starts: the order holds.
  const day = dayOf(calendar, localDay(calendar, instant));
  days.splice(before + 1, 0, day);
  return day;
}

/** Working intervals that end after `from`, clipped to start no earlier than it, in order. */
function* intervalsFrom(calendar: BusinessCalendar, from: number): Generator<InstantInterval> {
  let day = dayAt(calendar, from);
  for (let i = 0; i < SEARCH_DAYS; i++, day = dayAt(calendar, day.end)) {
    for (const interval of day.intervals) {
      if (interval.end <= from) continue;
      yield { start: Math.max(interval.start, from), end: interval.end };
    }
  }
  throw new InvalidCalendarError([{ field: 'weeklyHours', message: `has no working time in the ${SEARCH_DAYS} days after ${new Date(from).toISOString()}` }]);
}

/** `instant` itself if it is working time, else the start of the next working interval. */
export function nextWorkingInstant(calendar: BusinessCalendar, instant: Date): Date {
  if (calendar.twentyFourSeven) return new Date(instant.getTime());
  assertUsable(calendar);
  return new Date(intervalsFrom(calendar, instant.getTime()).next().value!.start);
}

/** The instant at which `minutes` of business time have passed since `start`. */
export function addBusinessMinutes(calendar: BusinessCalendar, start: Date, minutes: number): Date {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`minutes must be a non-negative number, got ${minutes}`);
  let remaining = Math.round(minutes * MINUTE);
  if (calendar.twentyFourSeven) return new Date(start.getTime() + remaining);
  assertUsable(calendar);
  if (remaining === 0) return new Date(start.getTime());
  for (const interval of intervalsFrom(calendar, start.getTime())) {
    const available = interval.end - interval.start;
    if (remaining <= available) return new Date(interval.start + remaining);
    remaining -= available;
  }
  /* c8 ignore next */
  throw new Error('unreachable: intervalsFrom throws when it runs out');
}

/** Business milliseconds in [from, to); zero when `to` is not after `from`. */
export function businessMillisBetween(calendar: BusinessCalendar, from: Date, to: Date): number {
  const [a, b] = [from.getTime(), to.getTime()];
  if (b <= a) return 0;
  if (calendar.twentyFourSeven) return b - a;
  assertUsable(calendar);
  let total = 0;
  for (let day = dayAt(calendar, a); day.start < b; day = dayAt(calendar, day.end)) {
    for (const interval of day.intervals) {
      total += Math.max(0, Math.min(interval.end, b) - Math.max(interval.start, a));
    }
  }
  return total;
}

export function businessMinutesBetween(calendar: BusinessCalendar, from: Date, to: Date): number {
  return businessMillisBetween(calendar, from, to) / MINUTE;
}

/** The next `count` working intervals from `from` (what the admin console previews). */
export function upcomingWorkingIntervals(calendar: BusinessCalendar, from: Date, count: number): Array<{ start: Date; end: Date }> {
  if (calendar.twentyFourSeven) return [{ start: new Date(from.getTime()), end: new Date(8.64e15) }];
  assertUsable(calendar);
  const result: Array<{ start: Date; end: Date }> = [];
  for (const interval of intervalsFrom(calendar, from.getTime())) {
    if (result.length >= count) break;
    result.push({ start: new Date(interval.start), end: new Date(interval.end) });
  }
  return result;
}

/** Whether `instant` falls in working time. */
export function isWorkingTime(calendar: BusinessCalendar, instant: Date): boolean {
  return nextWorkingInstant(calendar, instant).getTime() === instant.getTime();
}

/**
 * The end of the `days`-th full working day after the one `instant` falls on (or the next
 * one, off hours): "auto-close after 3 business days" from Tuesday 15:00 is Friday 17:00.
 * On a 24×7 calendar it is simply `days` × 24 hours later.
 */
export function endOfWorkingDaysAfter(calendar: BusinessCalendar, instant: Date, days: number): Date {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive whole number, got ${days}`);
  if (calendar.twentyFourSeven) return new Date(instant.getTime() + days * 24 * 3_600_000);
  assertUsable(calendar);
  let counted = 0;
  let day = dayAt(calendar, dayAt(calendar, instant.getTime()).end);
  for (let i = 0; i < SEARCH_DAYS; i++, day = dayAt(calendar, day.end)) {
    const intervals = day.intervals;
    if (intervals.length === 0) continue;
    counted += 1;
    if (counted === days) return new Date(intervals[intervals.length - 1]!.end);
  }
  throw new InvalidCalendarError([{ field: 'weeklyHours', message: 'has no working days ahead' }]);
}
