const SECONDS = /^\d+(\.\d+)?$/;
// IMF-fixdate ("Wed, 21 Oct 2015 07:28:00 GMT") and the obsolete RFC 850 form ("Wednesday, 21-Oct-15 07:28:00 GMT").
const HTTP_DATE = /^[A-Z][a-z]{2,8}, \d{2}[ -][A-Z][a-z]{2}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * The wait a `Retry-After` value asks for, in ms: delay-seconds or an HTTP date (a past date gives 0); null when
 * absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (SECONDS.test(text)) return Math.round(Number(text) * 1000);
  if (!HTTP_DATE.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
