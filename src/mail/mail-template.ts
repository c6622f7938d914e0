import { MailMessage } from './mail-transport';

export interface MailContent {
  to: string;
  subject: string;
  heading: string;
  paragraphs: string[];
  /** A button in the HTML body; its URL also stands on its own line in the text body. */
  action?: { label: string; url: string };
  /** Small print under everything else, e.g. "If you did not ask for this, ignore this email." */
  footer?: string;
}

const BRAND = 'Photosphere';

const FONT = "-apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";
const STYLE = {
  body: `margin:0;padding:24px 12px;background:#f3f4f6;font-family:${FONT};color:#1f2937;`,
  card: 'max-width:560px;margin:0 auto;padding:32px;background:#ffffff;border-radius:8px;',
  brand: 'margin:0 0 24px;font-size:14px;font-weight:600;letter-spacing:0.02em;color:#0d6efd;',
  heading: 'margin:0 0 16px;font-size:20px;line-height:1.3;color:#111827;',
  paragraph: 'margin:0 0 16px;font-size:15px;line-height:1.6;',
  button: 'display:inline-block;padding:10px 20px;background:#0d6efd;color:#ffffff;font-weight:600;text-decoration:none;border-radius:6px;',
  small: 'margin:24px 0 0;font-size:13px;line-height:1.5;color:#6b7280;',
  link: 'color:#0d6efd;word-break:break-all;',
};

/** Builds a plain-text and a matching HTML body in Photosphere's house style. */
export function mailMessage(content: MailContent): MailMessage {
  const { to, subject, heading, paragraphs, action, footer } = content;
  if (action && !/^https?:\/\//i.test(action.url)) {
    throw new Error('An email action link must be an absolute http(s) URL.');
  }

  const text =
    [heading, ...paragraphs, ...(action ? [`${action.label}:\n${action.url}`] : []), ...(footer ? [footer] : []), `— ${BRAND}`].join(
      '\n\n',
    ) + '\n';

  const url = action ? escapeHtml(action.url) : '';
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(subject)}</title></head>
<body style="${STYLE.body}">
<div style="${STYLE.card}">
<p style="${STYLE.brand}">${BRAND}</p>
<h1 style="${STYLE.heading}">${escapeHtml(heading)}</h1>
${paragraphs.map((paragraph) => `<p style="${STYLE.paragraph}">${escapeHtml(paragraph)}</p>`).join('\n')}
${
  action
    ? `<p style="margin:24px 0;"><a href="${url}" style="${STYLE.button}">${escapeHtml(action.label)}</a></p>
<p style="${STYLE.small}">If the button does not work, copy this link into your browser:<br><a href="${url}" style="${STYLE.link}">${url}</a></p>`
    : ''
}
${footer ? `<p style="${STYLE.small}">${escapeHtml(footer)}</p>` : ''}
</div>
</body>
</html>
`;

  return { to, subject, text, html };
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Makes any text safe inside HTML element content and double- or single-quoted attributes. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}
