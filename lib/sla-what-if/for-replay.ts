import { IANAZone } from 'luxon';
import { indexedCalendar, validateCalendar, type BusinessCalendar } from '../../workflows/domain/business-time';
import type { SlaConfig } from './replay';

/**
 * An IANA zone whose UTC offset is looked up once per quarter hour. Luxon asks Intl for the
 * offset of every instant it converts, and replaying 100,000 tickets converts millions: that
 * lookup was two thirds of the replay's time. Every zone's rules change offset only on a
 * quarter hour of UTC (offsets themselves are whole quarter hours), so within one quarter
 * hour the offset is one value and caching it changes no answer. The business-time module
 * stays as it is: luxon accepts a Zone wherever it accepts a zone name.
 */
class QuarterHourZone extends IANAZone {
  private readonly offsets = new Map<number, number>();

  override offset(ts: number): number {
    const key = Math.floor(ts / 900_000);
    let value = this.offsets.get(key);
    if (value === undefined) {
      // A year of quarter hours is 35,040 entries; past that, start afresh rather than grow.
      if (this.offsets.size > 100_000) this.offsets.clear();
      value = super.offset(ts);
      this.offsets.set(key, value);
    }
    return value;
  }
}

const zones = new Map<string, QuarterHourZone>();

function zoneFor(name: string): QuarterHourZone | string {
  if (!IANAZone.isValidZone(name)) return name;
  let zone = zones.get(name);
  if (!zone) {
    zone = new QuarterHourZone(name);
    zones.set(name, zone);
  }
  return zone;
}

/**
 * The same configuration with each calendar's zone name replaced by its caching zone and
 * each usable calendar frozen with its days memoised (business-time's indexedCalendar); for
 * replays only. An unusable calendar is left as it is, for the replay to find it unusable.
 */
export function forReplay(config: SlaConfig): SlaConfig {
  const prepared = <C extends BusinessCalendar>(calendar: C): C => {
    const zoned = typeof calendar.timeZone === 'string' ? { ...calendar, timeZone: zoneFor(calendar.timeZone) as unknown as string } : calendar;
    return validateCalendar(zoned).length === 0 ? indexedCalendar(zoned) : zoned;
  };
  return { ...config, teams: config.teams.map((t) => (t.calendar ? { ...t, calendar: prepared(t.calendar) } : t)) };
}
