/** Dates as every page shows them, in UTC: `dateFormat` gives "3 Mar 2026", `dateTimeFormat` "3 Mar 2026, 14:05". */
export const dateFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
export const dateTimeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
