/**
 * Streaming CSV reading for the dataset loader: csv-parse does the RFC 4180 work (quotes, embedded commas and
 * newlines, BOM, CRLF); this module adds the physical line number of every record (so errors point where an
 * editor shows the row), the bookkeeping of skipped bad rows (counted in the physical lines they cover), a
 * fatal error for a quote that is never closed and strict UTF-8 validation.
 */
import { isUtf8 } from 'node:buffer';
import { type Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CsvError, Parser } from 'csv-parse';
import { DataError } from '../errors.js';
import type { FileStats } from './dataset.js';

/** One CSV input: a display name used in error messages (a path or an S3 key) and its byte stream. */
export interface DatasetSource {
  readonly name: string;
  readonly stream: Readable;
}

/** How many skipped rows a file may have before the load fails (see {@link BadRows.check}). */
export interface BadRowLimits {
  readonly maxBadRowShare: number;
  readonly maxBadRows: number;
}

/** At most this many error strings are kept per file in FileStats.errors. */
export const MAX_KEPT_ERRORS = 20;

/**
 * Counts the data rows of one file and remembers its first bad rows, so a load can skip a few typos but still
 * fail loudly, naming the first bad line, when a file is mostly garbage.
 */
export class BadRows {
  rows = 0;
  skipped = 0;
  readonly errors: string[] = [];
  private firstLine = 0;
  private firstMessage = '';

  constructor(readonly file: string) {}

  /**
   * Records one skipped record starting at `line` that covered `lines` physical lines: each of them could have
   * been a row, so all count as rows read and as rows lost.
   */
  add(line: number, message: string, lines = 1): void {
    this.rows += lines;
    if (this.skipped === 0) {
      this.firstLine = line;
      this.firstMessage = message;
    }
    this.skipped += lines;
    if (this.errors.length < MAX_KEPT_ERRORS) this.errors.push(`${this.file}:${line}: ${message}`);
  }

  /**
   * Throws a DataError naming the first bad line when skipped > maxBadRows + floor(maxBadRowShare × rows),
   * i.e. a small absolute allowance (a tiny file with one typo still loads) plus a share of the rows read.
   */
  check(limits: BadRowLimits): void {
    const allowed = limits.maxBadRows + Math.floor(limits.maxBadRowShare * this.rows);
    if (this.skipped <= allowed) return;
    throw new DataError(
      `${this.firstMessage} — ${this.skipped} of ${this.rows} rows are bad, more than the ${allowed} allowed ` +
        `(maxBadRows ${limits.maxBadRows} + maxBadRowShare ${limits.maxBadRowShare} × rows)`,
      this.file,
      this.firstLine,
    );
  }

  /** The FileStats for Dataset.stats. */
  stats(): FileStats {
    return { file: this.file, rows: this.rows, skipped: this.skipped, errors: this.errors.slice() };
  }
}

/** Receives the records of one CSV file; both callbacks run synchronously while the parser works. */
export interface CsvSink {
  /** The first non-empty record. Throw a DataError to stop the load (e.g. a missing column). */
  header(fields: string[], line: number): void;
  /** A data record; return an error message to skip it as a bad row, undefined when it was taken. */
  row(fields: string[], line: number): string | undefined;
}

/** Human wording for csv-parse's quoting errors (its own messages speak of its internals). */
function describeCsvError(err: CsvError): string {
  switch (err.code) {
    case 'INVALID_OPENING_QUOTE':
      return 'a quote inside an unquoted field (quote the whole field and double any inner quote, per RFC 4180)';
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return 'unexpected character after a closing quote (double a quote inside a quoted field: "")';
    default:
      return err.message;
  }
}

/** Counts line breaks inside a record's fields the way csv-parse counts them (each CR and each LF). */
function countBreaks(fields: string[]): { breaks: number; crlf: number } {
  let breaks = 0;
  let crlf = 0;
  for (const f of fields) {
    for (let i = f.indexOf('\n'); i !== -1; i = f.indexOf('\n', i + 1)) breaks++;
    for (let i = f.indexOf('\r'); i !== -1; i = f.indexOf('\r', i + 1)) {
      breaks++;
      if (f.charCodeAt(i + 1) === 10) crlf++;
    }
  }
  return { breaks, crlf };
}

/** Skipped records since the last record taken: their lines are counted once the next record shows where they end. */
interface PendingSkip {
  /** Physical line where the first skipped record starts. */
  readonly start: number;
  readonly message: string;
  /** csv-parse's empty-line count when it was skipped (blank lines after it are not lost rows). */
  readonly empty: number;
  records: number;
}

/**
 * csv-parse Parser that hands each record straight to the sink together with its first physical line.
 * Overriding push (called synchronously for each record) reads the live `info.lines` counter without the
 * per-record info snapshot that `on_record`/`info: true` allocate, which made parsing ~3× slower.
 */
class LineParser extends Parser {
  private headerSeen = false;
  private failed = false;
  /** Physical line of the end of the last record taken, and csv-parse's empty-line count then. */
  private prevEndLine = 0;
  private prevEmpty = 0;
  /** csv-parse's record buffer at the last skip: one bad record can raise several errors; count it once. */
  private lastSkipped: unknown = undefined;
  /** csv-parse counts a CRLF inside a quoted field as two lines; editors count one. */
  private extraLines = 0;
  private pending: PendingSkip | undefined;
  /** Physical lines the quote-free fast path consumed before handing the rest of the file over. */
  private lineOffset = 0;

  constructor(
    private readonly sink: CsvSink,
    private readonly bad: BadRows,
    /** Physical lines of the whole input, known once it has all been read. */
    private readonly totalLines: () => number,
    private readonly endsWithNewline: () => boolean,
  ) {
    super({
      bom: true,
      // No `trim`: it costs ~40% of parse time; the loader trims ids itself only when they need it.
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (err: CsvError | undefined) => {
        this.skip(err);
        return undefined;
      },
    });
  }

  /** Continues a file whose first `lines` physical lines (and header, when seen) the fast path took. */
  handOver(lines: number, headerSeen: boolean): void {
    this.lineOffset = lines;
    this.prevEndLine = lines;
    this.headerSeen = headerSeen;
  }

  /** Physical line where a record skipped now starts (after the last record taken and any blank lines). */
  private nextStart(): number {
    return this.prevEndLine + 1 + (this.info.empty_lines - this.prevEmpty);
  }

  private skip(err: CsvError | undefined): void {
    if (!err) return;
    // `state.record` is replaced by a fresh array for every record (csv-parse internals, hence the guard).
    const current = (this as unknown as { state?: { record?: unknown } }).state?.record;
    if (current !== undefined && current === this.lastSkipped) return;
    this.lastSkipped = current;
    // csv-parse reports an error thrown by on_skip as the stream's error.
    if (!this.headerSeen) {
      const line = (typeof err.lines === 'number' ? err.lines : this.info.lines) + this.lineOffset;
      throw new DataError(`bad header: ${describeCsvError(err)}`, this.bad.file, line - this.extraLines);
    }
    if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
      // Detected at the end of the file: everything from the record that opened the quote on is one field.
      // Skipping it as one bad row would silently drop the rest of the file, so the load fails.
      const start = this.pending?.start ?? this.nextStart();
      const last = Math.max(start, this.totalLines());
      const cause = this.pending ? `${this.pending.message}; ` : '';
      throw new DataError(
        `${cause}unterminated quoted field: the quote opened in the record starting here is never closed, so ` +
          `lines ${start}-${last} (the rest of the file) cannot be read; close the quote, or double a quote ` +
          'meant literally ("")',
        this.bad.file,
        start,
      );
    }
    if (this.pending) this.pending.records++;
    else
      this.pending = {
        start: this.nextStart(),
        message: describeCsvError(err),
        empty: this.info.empty_lines,
        records: 1,
      };
  }

  /**
   * Counts the lines the pending skipped records covered, now that the next record starts at `next`.
   * `phantom`: empty lines csv-parse counted that are not lines (the "line" after a final newline).
   */
  private settleSkips(next: number, phantom = 0): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    const blank = Math.max(0, this.info.empty_lines - p.empty - phantom);
    const lines = Math.max(p.records, next - p.start - blank);
    const what = p.records > 1 ? `, ${p.records} broken records` : '';
    const message = lines > 1 ? `${p.message} (lines ${p.start}-${next - 1} lost${what})` : p.message;
    this.bad.add(p.start, message, lines);
  }

  override push(record: unknown): boolean {
    if (record === null) {
      if (!this.failed) this.settleSkips(this.totalLines() + 1, this.endsWithNewline() ? 1 : 0);
      return super.push(null);
    }
    if (this.failed) return false;
    try {
      this.handleRecord(record as string[]);
    } catch (err) {
      // Throwing here would escape csv-parse's write path as an uncaught exception: fail the stream instead.
      this.failed = true;
      this.destroy(err as Error);
      return false;
    }
    return true;
  }

  private handleRecord(fields: string[]): void {
    const end = this.info.lines + this.lineOffset;
    let start = end - this.extraLines;
    // Only a record that spans several lines (or follows skipped or empty lines) needs its fields scanned.
    if (end - this.extraLines - this.prevEndLine > 1) {
      const { breaks, crlf } = countBreaks(fields);
      start -= breaks;
      this.extraLines += crlf;
    }
    this.settleSkips(start);
    this.prevEndLine = end - this.extraLines;
    this.prevEmpty = this.info.empty_lines;
    if (!this.headerSeen) {
      this.headerSeen = true;
      this.sink.header(fields, start);
      return;
    }
    const error = this.sink.row(fields, start);
    if (error === undefined) this.bad.rows++;
    else this.bad.add(start, error);
  }

  /** Whether a header record was seen (false for an empty file). */
  get hadHeader(): boolean {
    return this.headerSeen;
  }
}

/** Index of the first byte of an incomplete multi-byte sequence at the end of `b` (b.length when none). */
function incompleteTail(b: Buffer): number {
  for (let i = b.length - 1; i >= Math.max(0, b.length - 3); i--) {
    const c = b[i];
    if (c < 0x80) return b.length;
    if (c >= 0xc0) {
      const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return i + need > b.length ? i : b.length;
    }
  }
  return b.length;
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629), -1 when none. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    if (c < 0x80) {
      i++;
      continue;
    }
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) n = 1;
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c === 0xe0) lo = 0xa0; // overlong
      if (c === 0xed) hi = 0x9f; // UTF-16 surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c === 0xf0) lo = 0x90; // overlong
      if (c === 0xf4) hi = 0x8f; // beyond U+10FFFF
    } else return i;
    if (i + n >= b.length) return i; // cut short at the end
    if (b[i + 1] < lo || b[i + 1] > hi) return i;
    for (let k = 2; k <= n; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += n + 1;
  }
  return -1;
}

function countNewlines(b: Buffer): number {
  let n = 0;
  for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) n++;
  return n;
}

/**
 * Passes bytes through unchanged after checking they are UTF-8, so a Latin-1 or Shift_JIS file fails naming
 * the line instead of being decoded to U+FFFD (which would merge distinct ids such as `u\xe9` and `u\xe8`).
 * A multi-byte character split across chunks is held back until its last byte arrives.
 */
class Utf8Check extends Transform {
  private carry: Buffer | undefined;
  /** Physical line (1-based) of the next byte. */
  private line = 1;
  private atStart = true;
  private lastByte = -1;

  constructor(private readonly file: string) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    const buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    if (this.atStart && buf.length < 2) {
      this.carry = buf;
      done();
      return;
    }
    const error = this.atStart ? this.checkBom(buf) : undefined;
    this.atStart = false;
    const cut = incompleteTail(buf);
    if (cut < buf.length) this.carry = Buffer.from(buf.subarray(cut));
    const whole = cut < buf.length ? buf.subarray(0, cut) : buf;
    if (error ?? !isUtf8(whole)) {
      done(error ?? this.invalid(whole));
      return;
    }
    this.pass(whole);
    done(null, whole);
  }

  override _flush(done: TransformCallback): void {
    const rest = this.carry;
    const error = rest && ((this.atStart && this.checkBom(rest)) || (!isUtf8(rest) && this.invalid(rest)));
    if (error) {
      done(error);
      return;
    }
    if (rest) this.pass(rest);
    done(null, rest);
  }

  private pass(b: Buffer): void {
    this.line += countNewlines(b);
    if (b.length > 0) this.lastByte = b[b.length - 1];
  }

  private checkBom(b: Buffer): DataError | undefined {
    return (b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)
      ? new DataError(
          'the file is UTF-16 (it starts with a UTF-16 byte-order mark): save it as UTF-8',
          this.file,
          1,
        )
      : undefined;
  }

  /** Physical lines read so far; a final newline ends the last line rather than starting another. */
  get lines(): number {
    return this.endsWithNewline || this.lastByte === -1 ? this.line - 1 : this.line;
  }

  get endsWithNewline(): boolean {
    return this.lastByte === 10;
  }

  private invalid(b: Buffer): DataError {
    let at = firstInvalidUtf8(b);
    if (at < 0) at = 0;
    const before = b.subarray(0, at);
    const line = this.line + countNewlines(before);
    const lineStart = before.lastIndexOf(10) + 1;
    return new DataError(
      `invalid UTF-8 (byte 0x${b[at].toString(16).padStart(2, '0')} at byte ${at - lineStart + 1} of the line): ` +
        'the file must be UTF-8; convert it first, e.g. iconv -f latin1 -t utf-8 (or -f shift_jis)',
      this.file,
      line,
    );
  }
}

/**
 * The fast path of plain files: while the bytes hold no quote and no CR, a record is exactly its line split
 * at commas (what csv-parse returns for such lines, blank lines skipped), so lines go straight to the sink,
 * ~3× faster than csv-parse. From the first line holding a quote or CR on, the rest of the file is passed
 * through to csv-parse (told how many lines were taken), which does the RFC 4180 work.
 */
class PlainLines extends Transform {
  private carry: Buffer | undefined;
  private line = 0;
  private atStart = true;
  headerSeen = false;
  private plain = true;

  constructor(
    private readonly sink: CsvSink,
    private readonly bad: BadRows,
    private readonly parser: LineParser,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (!this.plain) {
      done(null, chunk);
      return;
    }
    let buf = this.carry ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = undefined;
    if (this.atStart) {
      if (buf.length < 3) {
        this.carry = buf;
        done();
        return;
      }
      this.atStart = false;
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    }
    const quote = buf.indexOf(0x22);
    const cr = buf.indexOf(0x0d);
    const stop = quote < 0 ? cr : cr < 0 ? quote : Math.min(quote, cr);
    // plain lines end at the last newline before the first quote/CR (or of the chunk)
    const end = stop < 0 ? buf.lastIndexOf(10) + 1 : buf.lastIndexOf(10, stop) + 1;
    try {
      if (end > 0) this.lines(buf.toString('utf8', 0, end - 1).split('\n'));
    } catch (err) {
      done(err as Error);
      return;
    }
    if (stop < 0) {
      if (end < buf.length) this.carry = Buffer.from(buf.subarray(end));
      done();
      return;
    }
    this.plain = false;
    this.parser.handOver(this.line, this.headerSeen);
    done(null, buf.subarray(end));
  }

  override _flush(done: TransformCallback): void {
    const rest = this.carry;
    this.carry = undefined;
    if (!this.plain || rest === undefined || rest.length === 0) {
      done(null, rest);
      return;
    }
    if (this.atStart && rest[0] === 0xef && rest[1] === 0xbb && rest[2] === 0xbf) {
      done(null, rest); // a BOM-only scrap: let csv-parse see it
      return;
    }
    try {
      this.lines([rest.toString('utf8')]);
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  private lines(lines: string[]): void {
    for (const text of lines) {
      const line = ++this.line;
      if (text === '') continue;
      const fields = text.split(',');
      if (!this.headerSeen) {
        this.headerSeen = true;
        this.sink.header(fields, line);
        continue;
      }
      const error = this.sink.row(fields, line);
      if (error === undefined) this.bad.rows++;
      else this.bad.add(line, error);
    }
  }
}

/**
 * Streams one CSV source into `sink` (plain lines directly, anything quoted through csv-parse), counting rows
 * and bad rows in `bad`. Resolves to false when the file held no header at all (empty), true otherwise.
 */
export async function readCsv(source: DatasetSource, sink: CsvSink, bad: BadRows): Promise<boolean> {
  const check = new Utf8Check(source.name);
  const parser = new LineParser(
    sink,
    bad,
    () => check.lines,
    () => check.endsWithNewline,
  );
  const plain = new PlainLines(sink, bad, parser);
  parser.resume(); // records never reach the readable side; resume lets 'end' fire
  await pipeline(source.stream, check, plain, parser);
  return parser.hadHeader || plain.headerSeen;
}
