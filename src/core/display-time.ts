/**
 * Times shown to people (terminal, HTML report) in the configured `displayTimezone` (an IANA
 * zone; default: the system's), always with the zone named, e.g. "2026-11-22 11:00 CET". JSON
 * keeps UTC ISO strings: zones are for people, not for parsers.
 */

/** True when `zone` is an IANA time zone this Node.js knows. */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The system's time zone. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** A formatter of ISO times as "YYYY-MM-DD HH:mm ZONE" in `zone` (default: the system's). */
export function displayTimeFormatter(zone: string | undefined): (iso: string) => string {
  const timeZone = zone ?? systemTimeZone();
  const format = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
  return (iso: string) => {
    const at = Date.parse(iso);
    if (!Number.isFinite(at)) return iso;
    const parts = Object.fromEntries(format.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
  };
}
