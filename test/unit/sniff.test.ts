import { Sniffer, sanitiseFilename, sniffBuffer } from '../../attachments/sniff';
import { buildZip, docx } from '../support/zip';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 1)]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(40, 2)]);
const PDF = Buffer.from('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x20, 0, 0, 0]), Buffer.from('WEBPVP8 '), Buffer.alloc(20, 3)]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(60, 0x90), Buffer.from('This program cannot be run in DOS mode')]);
const ELF = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(40)]);
const MACHO = Buffer.concat([Buffer.from([0xcf, 0xfa, 0xed, 0xfe]), Buffer.alloc(40)]);
const EML = Buffer.from('Return-Path: <a@example.com>\r\nFrom: Ann <a@example.com>\r\nTo: b@example.com\r\nSubject: Hello\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nBody text\r\n');

describe('allowed content', () => {
  test.each([
    ['report.pdf', PDF, 'application/pdf'],
    ['photo.png', PNG, 'image/png'],
    ['photo.JPG', JPEG, 'image/jpeg'],
    ['anim.gif', GIF, 'image/gif'],
    ['pic.webp', WEBP, 'image/webp'],
    ['notes.txt', Buffer.from('Hello, world\nÜmlauts are fine ✓\n'), 'text/plain; charset=utf-8'],
    ['data.csv', Buffer.from('id,name\n1,Ann\n'), 'text/csv; charset=utf-8'],
    ['mail.eml', EML, 'message/rfc822'],
    ['letter.docx', docx(), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ])('when %s is uploaded with matching bytes, then it is accepted as %s', (name, bytes, type) => {
    expect(sniffBuffer(bytes, name)).toMatchObject({ ok: true, contentType: type });
  });

  test('when an xlsx and a pptx arrive, then the entry folders tell them apart', () => {
    const xlsx = buildZip([{ name: '[Content_Types].xml', data: '<Types/>' }, { name: 'xl/workbook.xml', data: '<w/>' }]);
    const pptx = buildZip([{ name: '[Content_Types].xml', data: '<Types/>' }, { name: 'ppt/presentation.xml', data: '<p/>' }]);
    expect(sniffBuffer(xlsx, 'sheet.xlsx')).toMatchObject({ ok: true, kind: 'xlsx' });
    expect(sniffBuffer(pptx, 'deck.pptx')).toMatchObject({ ok: true, kind: 'pptx' });
  });

  test('when an OOXML file writes sizes after the data (no central directory in reach), then the local headers still identify it', () => {
    const streamed = buildZip([{ name: '[Content_Types].xml', data: '<Types/>' }, { name: 'word/document.xml', data: '<d/>' }], { dataDescriptor: true });
    // Only the first header is readable without sizes; the central directory at the end says the rest.
    expect(sniffBuffer(streamed, 'x.docx')).toMatchObject({ ok: true, kind: 'docx' });
  });

  test('when an OpenDocument text arrives, then its mimetype entry identifies it', () => {
    const odt = buildZip([{ name: 'mimetype', data: 'application/vnd.oasis.opendocument.text' }, { name: 'content.xml', data: '<c/>' }]);
    expect(sniffBuffer(odt, 'doc.odt')).toMatchObject({ ok: true, contentType: 'application/vnd.oasis.opendocument.text' });
  });

  test('when a file has no extension, then the bytes decide its type', () => {
    expect(sniffBuffer(PNG, 'screenshot')).toMatchObject({ ok: true, kind: 'png' });
    expect(sniffBuffer(Buffer.from('plain words'), 'README')).toMatchObject({ ok: true, kind: 'text' });
  });

  test('when an email message is named .txt, then it is kept as plain text (the name chooses among text types)', () => {
    expect(sniffBuffer(EML, 'mail.txt')).toMatchObject({ ok: true, kind: 'text' });
    expect(sniffBuffer(Buffer.from('just words'), 'fake.eml')).toMatchObject({ ok: true, kind: 'text' });
  });

  test('when bytes arrive in many small chunks, then the verdict is the same as all at once', () => {
    const bytes = Buffer.concat([docx(), Buffer.alloc(0)]);
    const sniffer = new Sniffer();
    for (let i = 0; i < bytes.length; i += 7) sniffer.update(bytes.subarray(i, i + 7));
    expect(sniffer.finish('letter.docx')).toMatchObject({ ok: true, kind: 'docx' });
    const text = Buffer.from('ü'.repeat(50_000));
    const textSniffer = new Sniffer();
    // Splitting a multi-byte character across chunks must not look like invalid UTF-8.
    for (let i = 0; i < text.length; i += 4095) textSniffer.update(text.subarray(i, i + 4095));
    expect(textSniffer.finish('big.txt')).toMatchObject({ ok: true, kind: 'text' });
  });

  test('when a large docx has its central directory beyond the first 64 KiB, then the tail is read', () => {
    const big = buildZip([
      { name: 'docProps/core.xml', data: Buffer.alloc(200_000, 0x41) },
      { name: '[Content_Types].xml', data: '<Types/>' },
      { name: 'word/document.xml', data: '<d/>' },
    ]);
    const sniffer = new Sniffer();
    for (let i = 0; i < big.length; i += 16_384) sniffer.update(big.subarray(i, i + 16_384));
    expect(sniffer.finish('big.docx')).toMatchObject({ ok: true, kind: 'docx' });
  });
});

describe('refused content', () => {
  test.each([
    ['setup.exe', EXE, /\.exe are not accepted/],
    ['report.pdf', EXE, /Windows executable/],
    ['tool', ELF, /ELF/],
    ['app.pdf', MACHO, /Mach-O/],
    ['page.html', Buffer.from('<html><script>alert(1)</script></html>'), /\.html are not accepted/],
    ['page.txt', Buffer.from('<!DOCTYPE html><html><body onload=alert(1)>'), /HTML/],
    ['logo.png', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'), /XML or SVG/],
    ['logo', Buffer.from('  <?xml version="1.0"?><svg/>'), /SVG/],
    ['run.txt', Buffer.from('#!/bin/sh\nrm -rf /\n'), /script/],
    ['archive.zip', buildZip([{ name: 'a.txt', data: 'x' }]), /ZIP archive/],
    ['letter.docx', buildZip([{ name: 'word/document.xml', data: '<d/>' }]), /ZIP archive/],
    ['macro.docx', buildZip([{ name: '[Content_Types].xml', data: '<T/>' }, { name: 'word/vbaProject.bin', data: 'x' }]), /macros/],
    ['old.doc', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), /OLE/],
    ['x.gz', Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]), /not accepted|gzip/],
    ['data.bin', Buffer.from([1, 2, 3, 0, 4, 5]), /binary data/],
    ['latin.txt', Buffer.from([0x48, 0xe9, 0x6c, 0x6c, 0x6f]), /not valid UTF-8/],
    ['empty.txt', Buffer.alloc(0), /empty/],
    ['photo.pdf', PNG, /name says PDF document but the content is PNG image/],
    ['doc.pdf', docx(), /name says PDF document but the content is Word document/],
    ['text.png', Buffer.from('hello'), /name says PNG image but the content is plain text/],
    ['macro.docm', docx(), /\.docm are not accepted/],
    ['budget.slk', Buffer.from('ID;P\nC;Y1;X1;K0;ECMD|\' /C calc\'!A0\nE\n'), /\.slk are not accepted/],
    ['q.iqy', Buffer.from('WEB\n1\nhttp://evil.example/x\n'), /\.iqy are not accepted/],
    ['run.command', Buffer.from('echo hello\n'), /\.command are not accepted/],
    ['open.settingcontent-ms', Buffer.from('<PCSettings/>'), /\.settingcontent-ms are not accepted/],
  ])('when %s is uploaded, then it is refused with a reason', (name, bytes, reason) => {
    const verdict = sniffBuffer(bytes, name);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
  });
});

describe('file names', () => {
  test.each([
    ['../../etc/passwd', 'passwd'],
    ['C:\\Users\\ann\\report.pdf', 'report.pdf'],
    ['  .hidden.txt ', 'hidden.txt'],
    ['inv\u202Efdp.exe', 'invfdp.exe'],
    ['a<b>:c"d|e?f*.txt', 'a_b__c_d_e_f_.txt'],
    ['line\r\nbreak.txt', 'linebreak.txt'],
    ['', 'attachment'],
    ['...', 'attachment'],
  ])('when the name is %j, then it is stored as %j', (raw, clean) => {
    expect(sanitiseFilename(raw)).toBe(clean);
  });

  test('when a name is very long, then it is cut to 200 characters keeping the extension', () => {
    const clean = sanitiseFilename(`${'x'.repeat(500)}.pdf`);
    expect(clean).toHaveLength(200);
    expect(clean.endsWith('.pdf')).toBe(true);
  });

  test('when the cut falls inside an emoji, then the whole emoji goes and the name stays valid text', () => {
    const clean = sanitiseFilename(`${'a'.repeat(194)}😀😀 holiday.pdf`);
    expect(clean.length).toBeLessThanOrEqual(200);
    expect(clean.endsWith('.pdf')).toBe(true);
    // No lone surrogate left (what a cut through the emoji leaves, stored as U+FFFD).
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(clean)).toBe(false);
    expect(clean).toBe(`${'a'.repeat(194)}😀.pdf`);
  });
});
