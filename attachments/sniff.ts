/**
 * Decides what a file is from its bytes, against an allow-list; the name only ever
 * narrows the answer. Pure: it sees the bytes as they stream past (the first and last
 * 64 KiB kept, the rest checked on the fly), so a 25 MB upload is never held in memory.
 *
 * A name that contradicts the content is refused, not silently re-typed: a PNG called
 * `invoice.pdf` or an executable called `report.pdf` is somebody's mistake or somebody's
 * trick, and either way the uploader should hear about it. A name without an extension,
 * or with one we do not know (`notes.log2`), is stored under the type the bytes show.
 */

export type Kind = 'pdf' | 'png' | 'jpeg' | 'gif' | 'webp' | 'text' | 'csv' | 'eml' | 'docx' | 'xlsx' | 'pptx' | 'odt' | 'ods' | 'odp';

const TYPES: Record<Kind, { contentType: string; label: string }> = {
  pdf: { contentType: 'application/pdf', label: 'PDF document' },
  png: { contentType: 'image/png', label: 'PNG image' },
  jpeg: { contentType: 'image/jpeg', label: 'JPEG image' },
  gif: { contentType: 'image/gif', label: 'GIF image' },
  webp: { contentType: 'image/webp', label: 'WebP image' },
  text: { contentType: 'text/plain; charset=utf-8', label: 'plain text' },
  csv: { contentType: 'text/csv; charset=utf-8', label: 'CSV text' },
  eml: { contentType: 'message/rfc822', label: 'email message' },
  docx: { contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', label: 'Word document' },
  xlsx: { contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', label: 'Excel workbook' },
  pptx: { contentType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', label: 'PowerPoint presentation' },
  odt: { contentType: 'application/vnd.oasis.opendocument.text', label: 'OpenDocument text' },
  ods: { contentType: 'application/vnd.oasis.opendocument.spreadsheet', label: 'OpenDocument spreadsheet' },
  odp: { contentType: 'application/vnd.oasis.opendocument.presentation', label: 'OpenDocument presentation' },
};

const EXTENSIONS: Record<string, Kind> = {
  pdf: 'pdf',
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  jpe: 'jpeg',
  jfif: 'jpeg',
  gif: 'gif',
  webp: 'webp',
  txt: 'text',
  text: 'text',
  log: 'text',
  md: 'text',
  tsv: 'text',
  csv: 'csv',
  eml: 'eml',
  docx: 'docx',
  xlsx: 'xlsx',
  pptx: 'pptx',
  odt: 'odt',
  ods: 'ods',
  odp: 'odp',
};

/** Names that are refused whatever the bytes say: opened by a double click, they run or render active content. */
const BLOCKED_EXTENSIONS = new Set(
  (
    'exe dll com scr msi msp pif cpl sys drv bat cmd ps1 psm1 vbs vbe js jse mjs cjs wsf wsh hta jar class apk app dmg pkg ' +
    'sh bash zsh csh py pyc pl rb php phtml asp aspx jsp cgi html htm xhtml shtml mht mhtml svg svgz xml xsl xslt ' +
    'lnk url reg inf scf iso img vhd vhdx docm dotm xlsm xltm xlam pptm potm ppam sldm ' +
    // Plain text that a spreadsheet, a shell or Windows runs: SYLK formulas, Excel web queries,
    // macOS shell scripts and AppleScript, Windows shortcuts and consoles, Access databases.
    'slk iqy dqy rqy command tool scpt applescript workflow action settingcontent-ms library-ms searchconnector-ms appref-ms ' +
    'application gadget msc ps1xml psc1 ws website desktop chm hlp jnlp xbap xll xla ade adp mde accde mdb accdb sct'
  ).split(' '),
);

const TEXT_KINDS: Kind[] = ['text', 'csv', 'eml'];
const HEAD_BYTES = 64 * 1024;
const TAIL_BYTES = 64 * 1024;

export type SniffVerdict =
  | { ok: true; kind: Kind; contentType: string; label: string }
  | { ok: false; reason: string };

/** The extension of a file name, lower-case without the dot, or '' when it has none. */
export function extensionOf(filename: string): string {
  const match = /\.([A-Za-z0-9]{1,10})$/.exec(filename.trim());
  return match ? match[1]!.toLowerCase() : '';
}

const startsWith = (buf: Buffer, bytes: number[] | string, at = 0) => {
  const sig = typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes);
  return buf.length >= at + sig.length && buf.subarray(at, at + sig.length).equals(sig);
};

/** What binary formats we recognise only to refuse them by name, so the uploader learns why. */
function refusedBinary(head: Buffer): string | undefined {
  if (startsWith(head, 'MZ')) return 'a Windows executable';
  if (startsWith(head, [0x7f, 0x45, 0x4c, 0x46])) return 'a Linux (ELF) executable';
  for (const magic of [[0xfe, 0xed, 0xfa, 0xce], [0xfe, 0xed, 0xfa, 0xcf], [0xce, 0xfa, 0xed, 0xfe], [0xcf, 0xfa, 0xed, 0xfe]]) {
    if (startsWith(head, magic)) return 'a macOS (Mach-O) executable';
  }
  if (startsWith(head, [0xca, 0xfe, 0xba, 0xbe])) return 'a macOS universal binary or Java class';
  if (startsWith(head, [0x00, 0x61, 0x73, 0x6d])) return 'a WebAssembly module';
  if (startsWith(head, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return 'a legacy Office (OLE) document, which can carry macros';
  if (startsWith(head, [0x1f, 0x8b])) return 'a gzip archive';
  if (startsWith(head, 'BZh')) return 'a bzip2 archive';
  if (startsWith(head, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'an xz archive';
  if (startsWith(head, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return 'a 7-Zip archive';
  if (startsWith(head, 'Rar!')) return 'a RAR archive';
  if (startsWith(head, 'ustar', 257)) return 'a tar archive';
  if (startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return 'an empty ZIP archive';
  if (startsWith(head, '%!PS')) return 'a PostScript program';
  if (startsWith(head, '{\\rtf')) return 'an RTF document, which can embed objects';
  return undefined;
}

interface ZipEntries {
  names: string[];
}

/** Entry names from the central directory (when it lies in the tail) or else from the local headers at the start. */
function zipEntries(head: Buffer, tail: Buffer, size: number): ZipEntries {
  const names: string[] = [];
  const tailStart = size - tail.length;
  for (let i = tail.length - 22; i >= Math.max(0, tail.length - 22 - 0xffff); i--) {
    if (tail.readUInt32LE(i) !== 0x06054b50) continue;
    const cdSize = tail.readUInt32LE(i + 12);
    const cdOffset = tail.readUInt32LE(i + 16);
    if (cdOffset !== 0xffffffff && cdOffset >= tailStart && cdOffset + cdSize <= tailStart + i) {
      let p = cdOffset - tailStart;
      while (p + 46 <= tail.length && tail.readUInt32LE(p) === 0x02014b50) {
        const nameLength = tail.readUInt16LE(p + 28);
        names.push(tail.subarray(p + 46, p + 46 + nameLength).toString('utf8'));
        p += 46 + nameLength + tail.readUInt16LE(p + 30) + tail.readUInt16LE(p + 32);
      }
      if (names.length > 0) return { names };
    }
    break;
  }
  let p = 0;
  while (p + 30 <= head.length && head.readUInt32LE(p) === 0x04034b50) {
    const flags = head.readUInt16LE(p + 6);
    const compressed = head.readUInt32LE(p + 18);
    const nameLength = head.readUInt16LE(p + 26);
    names.push(head.subarray(p + 30, p + 30 + nameLength).toString('utf8'));
    // Sizes live after the data when bit 3 is set: the next header cannot be found from here.
    if (flags & 0x08) break;
    p += 30 + nameLength + head.readUInt16LE(p + 28) + compressed;
  }
  return { names };
}

function zipKind(head: Buffer, tail: Buffer, size: number): Kind | string {
  // ODF puts an uncompressed `mimetype` entry first, so its media type sits at a fixed offset.
  if (startsWith(head, 'mimetype', 30)) {
    const mimetype = head.subarray(38, 38 + 80).toString('latin1');
    if (mimetype.startsWith('application/vnd.oasis.opendocument.text')) return 'odt';
    if (mimetype.startsWith('application/vnd.oasis.opendocument.spreadsheet')) return 'ods';
    if (mimetype.startsWith('application/vnd.oasis.opendocument.presentation')) return 'odp';
  }
  const { names } = zipEntries(head, tail, size);
  if (names.some((n) => /(^|\/)vbaProject\.bin$/i.test(n))) return 'an Office document with macros';
  if (names.includes('[Content_Types].xml')) {
    if (names.some((n) => n.startsWith('word/'))) return 'docx';
    if (names.some((n) => n.startsWith('xl/'))) return 'xlsx';
    if (names.some((n) => n.startsWith('ppt/'))) return 'pptx';
  }
  return 'a ZIP archive';
}

/** RFC 5322 headers at the very start, naming a sender and something only mail has. */
function looksLikeEmail(text: string): boolean {
  const block = text.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const lines = block.split(/\r?\n/).filter((l) => !/^[ \t]/.test(l));
  if (lines.length < 2 || !lines.every((l) => /^[!-9;-~]+:/.test(l))) return false;
  const names = new Set(lines.map((l) => l.slice(0, l.indexOf(':')).toLowerCase()));
  return names.has('from') && ['date', 'subject', 'message-id', 'received', 'mime-version', 'return-path'].some((n) => names.has(n));
}

/** Text whose first markup would make a browser render it: HTML, SVG, XML, and scripts with an interpreter line. */
function activeText(text: string): string | undefined {
  const start = text.replace(/^\uFEFF/, '').trimStart().slice(0, 200).toLowerCase();
  if (start.startsWith('#!')) return 'a script';
  if (/^<(svg|\?xml)/.test(start)) return 'XML or SVG markup';
  if (start.startsWith('<')) return 'HTML or other markup';
  return undefined;
}

/** Streams through `update()`, then `finish()` gives the verdict for the whole file. */
export class Sniffer {
  private head = Buffer.alloc(0);
  private tailChunks: Buffer[] = [];
  private tailLength = 0;
  private size = 0;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private validUtf8 = true;
  private hasNul = false;

  update(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.head.length < HEAD_BYTES) this.head = Buffer.concat([this.head, chunk.subarray(0, HEAD_BYTES - this.head.length)]);
    this.tailChunks.push(chunk);
    this.tailLength += chunk.length;
    while (this.tailChunks.length > 1 && this.tailLength - this.tailChunks[0]!.length >= TAIL_BYTES) {
      this.tailLength -= this.tailChunks.shift()!.length;
    }
    if (!this.hasNul && chunk.includes(0)) this.hasNul = true;
    if (this.validUtf8) {
      try {
        this.decoder.decode(chunk, { stream: true });
      } catch {
        this.validUtf8 = false;
      }
    }
  }

  finish(filename: string): SniffVerdict {
    if (this.validUtf8) {
      try {
        this.decoder.decode();
      } catch {
        this.validUtf8 = false;
      }
    }
    const tailAll = Buffer.concat(this.tailChunks);
    return decide(filename, this.head, tailAll.subarray(Math.max(0, tailAll.length - TAIL_BYTES)), this.size, this.validUtf8, this.hasNul);
  }
}

/** The verdict for bytes already in memory (tests, and the small files email brings). */
export function sniffBuffer(bytes: Buffer, filename: string): SniffVerdict {
  const sniffer = new Sniffer();
  sniffer.update(bytes);
  return sniffer.finish(filename);
}

function contentKind(head: Buffer, tail: Buffer, size: number, validUtf8: boolean, hasNul: boolean): Kind | string {
  if (size === 0) return 'an empty file';
  if (startsWith(head, '%PDF-')) return 'pdf';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith(head, 'GIF87a') || startsWith(head, 'GIF89a')) return 'gif';
  if (startsWith(head, 'RIFF') && startsWith(head, 'WEBP', 8)) return 'webp';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return zipKind(head, tail, size);
  const binary = refusedBinary(head);
  if (binary) return binary;
  if (hasNul) return 'binary data';
  const text = head.toString(validUtf8 ? 'utf8' : 'latin1');
  const active = activeText(text);
  if (active) return active;
  if (looksLikeEmail(text)) return 'eml';
  return validUtf8 ? 'text' : 'text that is not valid UTF-8';
}

/** The last part after a dot as Windows and macOS read it, hyphens included (`.settingcontent-ms`). */
function shellExtensionOf(filename: string): string {
  return /\.([A-Za-z0-9-]{1,30})$/.exec(filename.trim())?.[1]?.toLowerCase() ?? '';
}

function decide(filename: string, head: Buffer, tail: Buffer, size: number, validUtf8: boolean, hasNul: boolean): SniffVerdict {
  const extension = extensionOf(filename);
  const shellExtension = shellExtensionOf(filename);
  if (BLOCKED_EXTENSIONS.has(shellExtension)) return { ok: false, reason: `files ending in .${shellExtension} are not accepted` };
  const sniffed = contentKind(head, tail, size, validUtf8, hasNul);
  if (!(sniffed in TYPES)) return { ok: false, reason: `the content is ${sniffed}, which is not an allowed type` };
  let kind = sniffed as Kind;
  const named = EXTENSIONS[extension];
  if (named && named !== kind) {
    const bothText = TEXT_KINDS.includes(named) && TEXT_KINDS.includes(kind);
    if (!bothText) return { ok: false, reason: `the name says ${TYPES[named].label} but the content is ${TYPES[kind].label}` };
    // Among text the name chooses how it is labelled, except that only real mail is served as a message.
    if (named !== 'eml') kind = named;
  }
  return { ok: true, kind, contentType: TYPES[kind].contentType, label: TYPES[kind].label };
}

/**
 * A name safe to store and to offer back: no directories, no control or reserved
 * characters, no leading dots, at most 200 characters (extension kept).
 */
export function sanitiseFilename(raw: string): string {
  const base = raw.normalize('NFC').split(/[\\/]/).pop() ?? '';
  let name = base
    .replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/[<>:"|?*]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '')
    .replace(/[.\s]+$/, '');
  if (name.length > 200) {
    // Cut between characters, never inside one (an emoji is two UTF-16 units; half of one is not text).
    const cut = (text: string, units: number) => {
      let kept = '';
      for (const char of text) {
        if (kept.length + char.length > units) break;
        kept += char;
      }
      return kept;
    };
    const extension = extensionOf(name);
    name = extension ? `${cut(name, 199 - extension.length)}.${extension}` : cut(name, 200);
  }
  return name || 'attachment';
}
