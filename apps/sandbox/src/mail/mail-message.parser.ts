/** The parts of a received mail that tests look at. */
export interface ParsedMail {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html?: string;
}

interface Part {
  headers: Map<string, string>;
  body: string;
}

/**
 * A minimal RFC 5322/MIME reader (mailparser is not installed): unfolded headers, RFC 2047 words,
 * quoted-printable and base64 bodies, and the text/plain and text/html parts of a multipart mail.
 */
export function parseMail(raw: string): ParsedMail {
  const message = splitPart(raw);
  const parts = leafParts(message);
  const text = parts.find((p) => contentType(p).type === 'text/plain');
  const html = parts.find((p) => contentType(p).type === 'text/html');
  return {
    from: decodeWords(message.headers.get('from') ?? ''),
    to: addresses(decodeWords([message.headers.get('to'), message.headers.get('cc')].filter(Boolean).join(', '))),
    subject: decodeWords(message.headers.get('subject') ?? ''),
    text: text ? decodeBody(text).replace(/\r\n/g, '\n').trimEnd() : '',
    ...(html ? { html: decodeBody(html) } : {}),
  };
}

/** The bare addresses of a header like `Ann <ann@x.org>, bob@y.org`. */
export function addresses(header: string): string[] {
  return header
    .split(',')
    .map((entry) => (entry.match(/<([^>]+)>/)?.[1] ?? entry).trim().toLowerCase())
    .filter((entry) => entry.includes('@'));
}

function splitPart(raw: string): Part {
  const end = raw.search(/\r?\n\r?\n/);
  const head = end < 0 ? raw : raw.slice(0, end);
  const body = end < 0 ? '' : raw.slice(end).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  // a line starting with white space continues the header above it
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

function contentType(part: Part): { type: string; boundary?: string; charset?: string } {
  const value = part.headers.get('content-type') ?? 'text/plain';
  const type = value.split(';')[0].trim().toLowerCase();
  const boundary = value.match(/boundary="?([^";]+)"?/i)?.[1];
  const charset = value.match(/charset="?([^";]+)"?/i)?.[1];
  return { type, boundary, charset };
}

function leafParts(part: Part): Part[] {
  const { type, boundary } = contentType(part);
  if (!type.startsWith('multipart/') || !boundary) return [part];
  const pieces = part.body.split(`--${boundary}`);
  // the first piece is the preamble, the one after the closing `--boundary--` the epilogue
  return pieces
    .slice(1)
    .filter((piece) => !piece.startsWith('--'))
    .flatMap((piece) => leafParts(splitPart(piece.replace(/^\r?\n/, ''))));
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  const body = part.body.replace(/\r?\n$/, '');
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function decodeQuotedPrintable(text: string): string {
  // soft line breaks join lines; =XX are bytes of (usually) UTF-8
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words: `=?UTF-8?B?…?=` and `=?UTF-8?Q?…?=`. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_match, _charset: string, kind: string, data: string) =>
      kind.toUpperCase() === 'B' ? Buffer.from(data, 'base64').toString('utf8') : decodeQuotedPrintable(data.replace(/_/g, ' ')),
    );
}
