// Timestamps travel as ISO-8601 UTC strings and are stored as epoch milliseconds.

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Parses an ISO-8601 date-time with an explicit zone into epoch milliseconds,
 * or null. Stricter than Date.parse, which accepts many other shapes and rolls
 * impossible dates like Feb 30 over into March.
 */
export function parseIsoTimestamp(text: string): number | null {
  const match = ISO_8601.exec(text);
  if (!match) return null;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((part) => Number(part ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const calendarDay = new Date(Date.UTC(year, month - 1, day));
  const real = calendarDay.getUTCMonth() === month - 1 && calendarDay.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  const ms = Date.parse(text);
  return real && !Number.isNaN(ms) ? ms : null;
}

export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}
