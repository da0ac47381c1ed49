/**
 * Streaming CSV reading for the dataset loader: csv-parse does the RFC 4180 work (quotes, embedded commas and
 * newlines, BOM, CRLF); this module adds the physical line number of every record (so errors point where an
 * editor shows the row) and the bookkeeping of skipped bad rows.
 */
import type { Readable } from 'node:stream';
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

  /** Records one skipped row (it also counts as a row read). */
  add(line: number, message: string): void {
    this.rows++;
    if (this.skipped === 0) {
      this.firstLine = line;
      this.firstMessage = message;
    }
    this.skipped++;
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
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field opened in the record starting here is never closed';
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

/**
 * csv-parse Parser that hands each record straight to the sink together with its first physical line.
 * Overriding push (called synchronously for each record) reads the live `info.lines` counter without the
 * per-record info snapshot that `on_record`/`info: true` allocate, which made parsing ~3× slower.
 */
class LineParser extends Parser {
  private headerSeen = false;
  private failed = false;
  /** csv-parse line of the end of the last record pushed, and its empty-line count then. */
  private prevEnd = 0;
  private prevEmpty = 0;
  /** csv-parse's record buffer at the last skip: one bad record can raise several errors; count it once. */
  private lastSkipped: unknown = undefined;
  /** csv-parse counts a CRLF inside a quoted field as two lines; editors count one. */
  private extraLines = 0;

  constructor(
    private readonly sink: CsvSink,
    private readonly bad: BadRows,
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

  private skip(err: CsvError | undefined): void {
    if (!err) return;
    // `state.record` is replaced by a fresh array for every record (csv-parse internals, hence the guard).
    const current = (this as unknown as { state?: { record?: unknown } }).state?.record;
    if (current !== undefined && current === this.lastSkipped) return;
    this.lastSkipped = current;
    // An unclosed quote is detected at the end of the file: point at where its record starts instead.
    const line =
      err.code === 'CSV_QUOTE_NOT_CLOSED'
        ? this.prevEnd + 1 + (this.info.empty_lines - this.prevEmpty)
        : typeof err.lines === 'number'
          ? err.lines
          : this.info.lines;
    // csv-parse reports an error thrown by on_skip as the stream's error.
    if (!this.headerSeen)
      throw new DataError(`bad header: ${describeCsvError(err)}`, this.bad.file, line - this.extraLines);
    this.bad.add(line - this.extraLines, describeCsvError(err));
  }

  override push(record: unknown): boolean {
    if (record === null) return super.push(null);
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
    const end = this.info.lines;
    let start = end - this.extraLines;
    // Only a record that spans several lines (or follows skipped empty lines) needs its fields scanned.
    if (end - this.prevEnd > 1) {
      const { breaks, crlf } = countBreaks(fields);
      start -= breaks;
      this.extraLines += crlf;
    }
    this.prevEnd = end;
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

/**
 * Streams one CSV source through csv-parse into `sink`, counting rows and bad rows in `bad`.
 * Resolves to false when the file held no header at all (empty), true otherwise.
 */
export async function readCsv(source: DatasetSource, sink: CsvSink, bad: BadRows): Promise<boolean> {
  const parser = new LineParser(sink, bad);
  parser.resume(); // records never reach the readable side; resume lets 'end' fire
  await pipeline(source.stream, parser);
  return parser.hadHeader;
}
