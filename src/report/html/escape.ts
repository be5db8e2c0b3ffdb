/**
 * Everything a report shows comes from the artifact (file names, strings, snippets) and is
 * attacker-controlled: it is escaped for HTML text and attribute context alike, and control
 * characters are made visible instead of being passed through.
 */
const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escaped for text and for a quoted attribute value; C0/C1 controls (bar tab and newline) shown as `\xNN`. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"'`]|[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (char) => {
    const entity = ENTITIES[char];
    return entity ?? `\\x${char.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });
}

/** A link target only when it is http(s); anything else (javascript:, data:) is not a link. */
export function safeHref(url: string): string | undefined {
  return /^https?:\/\//i.test(url) ? escapeHtml(url) : undefined;
}

/** A value usable as an element id or a CSS class: letters, digits, `-` and `_` only. */
export function token(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]/g, '-');
}
