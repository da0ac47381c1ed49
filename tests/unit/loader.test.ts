import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { type CategoricalColumn, firstValue } from '../../shared/domain/data/dataset.js';
import { loadDataset, loadDatasetFromStreams } from '../../shared/domain/data/loader.js';
import { DataError, ValidationError } from '../../shared/domain/errors.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

/** Writes the given files into a fresh temp folder and returns its path. */
async function dataset(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'osusume-loader-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

/** Runs `fn` and returns the DataError it throws (fails the test otherwise). */
async function dataError(fn: () => Promise<unknown>): Promise<DataError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('expected a DataError');
}

function values(col: CategoricalColumn, entity: number): string[] {
  const out: string[] = [];
  for (let k = col.offsets[entity]; k < col.offsets[entity + 1]; k++) out.push(col.dict.ids[col.values[k]]);
  return out;
}

const HEADER = 'USER_ID,ITEM_ID,TIMESTAMP\n';
/** n good interaction rows, so a test can control the bad-row share. */
function goodRows(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += `u${i % 7},i${i % 11},${1_600_000_000 + i}\n`;
  return s;
}

describe('loadDataset: reading the 3-CSV contract', () => {
  it('reads interactions with event type and value, matching column names case-insensitively', async () => {
    const dir = await dataset({
      'interactions.csv':
        'user_id,Item_Id,timestamp,event_type,Event_Value,IGNORED\nu1,i1,100,view,,x\nu2,i1,200,purchase,19.5,y\n',
    });
    const d = await loadDataset(dir);
    expect(d.interactions.length).toBe(2);
    expect(d.users.ids).toEqual(['u1', 'u2']);
    expect(d.items.ids).toEqual(['i1']);
    expect([...d.interactions.timestamp]).toEqual([100, 200]);
    expect(d.eventTypes.ids[d.interactions.eventType[1]]).toBe('purchase');
    expect(Number.isNaN(d.interactions.eventValue[0])).toBe(true);
    expect(d.interactions.eventValue[1]).toBeCloseTo(19.5);
    expect(d.stats.interactions).toMatchObject({ rows: 2, skipped: 0, errors: [] });
  });

  it('leaves event type 0 and NaN values when the optional columns are absent', async () => {
    const d = await loadDataset(await dataset({ 'interactions.csv': `${HEADER}u1,i1,5\n` }));
    expect(d.interactions.eventType[0]).toBe(0);
    expect(d.eventTypes.ids[0]).toBe('');
    expect(Number.isNaN(d.interactions.eventValue[0])).toBe(true);
  });

  it('reads users.csv and items.csv attributes, sharing indices with ids seen in interactions', async () => {
    const dir = await dataset({
      'interactions.csv': `${HEADER}u1,i1,1\nu2,i2,2\n`,
      'users.csv': 'USER_ID,GENDER,AGE_GROUP\nu2,F,25-34\nu3,M,18-24\n',
      'items.csv': 'ITEM_ID,CATEGORY,CREATION_TIMESTAMP\ni2,shoes,1500000000\ni9,hats,\n',
    });
    const d = await loadDataset(dir);
    expect(d.users.get('u2')).toBe(1);
    expect(d.users.size).toBe(3); // u3 has no interactions but is a known (cold) user
    const gender = d.userAttributes.find((c) => c.name === 'GENDER')!;
    expect(firstValue(gender, d.users.get('u2'))).toBe('F');
    expect(firstValue(gender, d.users.get('u1'))).toBeUndefined();
    const category = d.itemAttributes.find((c) => c.name === 'CATEGORY')!;
    expect(firstValue(category, d.items.get('i2'))).toBe('shoes');
    expect(d.itemAttributes.map((c) => c.name)).toEqual(['CATEGORY']);
    expect(d.itemCreated![d.items.get('i2')]).toBe(1_500_000_000);
    expect(Number.isNaN(d.itemCreated![d.items.get('i9')])).toBe(true);
    expect(d.stats.users).toMatchObject({ rows: 2, skipped: 0 });
  });

  it('splits multi-value categorical fields on |', async () => {
    const dir = await dataset({
      'interactions.csv': `${HEADER}u1,i1,1\n`,
      'items.csv': 'ITEM_ID,GENRES\ni1,Action|Comedy\ni2,Drama\n',
    });
    const d = await loadDataset(dir);
    const genres = d.itemAttributes[0];
    expect(values(genres, d.items.get('i1'))).toEqual(['Action', 'Comedy']);
    expect(values(genres, d.items.get('i2'))).toEqual(['Drama']);
  });

  it('keeps commas, quotes and newlines inside quoted fields (RFC 4180)', async () => {
    const dir = await dataset({
      'interactions.csv': `${HEADER}"u,1","i ""quoted""",1\n`,
      'items.csv': 'ITEM_ID,TITLE\n"i ""quoted""","line one\nline two, with comma"\n',
    });
    const d = await loadDataset(dir);
    expect(d.users.ids).toEqual(['u,1']);
    expect(d.items.ids).toEqual(['i "quoted"']);
    expect(firstValue(d.itemAttributes[0], 0)).toBe('line one\nline two, with comma');
  });

  it('counts physical lines of multi-line quoted fields when naming a later bad row', async () => {
    const dir = await dataset({
      'interactions.csv': `USER_ID,ITEM_ID,TIMESTAMP,NOTE\nu1,i1,1,"a\nb\nc"\n,i2,2,x\n`,
    });
    const d = await loadDataset(dir);
    expect(d.stats.interactions.errors).toEqual([`${join(dir, 'interactions.csv')}:5: empty USER_ID`]);
  });

  it('handles a UTF-8 BOM, CRLF line endings and empty lines', async () => {
    const dir = await dataset({
      'interactions.csv':
        '\uFEFFUSER_ID,ITEM_ID,TIMESTAMP\r\nu1,i1,1\r\n\r\nu2,"i\r\n2",2\r\n\r\nu3,i3,bad\r\n',
    });
    const d = await loadDataset(dir);
    expect(d.users.ids).toEqual(['u1', 'u2']);
    expect(d.items.ids).toEqual(['i1', 'i\r\n2']);
    expect(d.stats.interactions.errors).toEqual([
      `${join(dir, 'interactions.csv')}:7: TIMESTAMP "bad" is not a number (unix seconds expected)`,
    ]);
  });

  it('finds the files whatever the case of their names', async () => {
    const d = await loadDataset(await dataset({ 'Interactions.CSV': `${HEADER}u1,i1,1\n` }));
    expect(d.interactions.length).toBe(1);
  });

  it('trims blanks around ids and numbers', async () => {
    const d = await loadDataset(await dataset({ 'interactions.csv': `${HEADER} u1 , i1 , 12 \n` }));
    expect(d.users.ids).toEqual(['u1']);
    expect(d.interactions.timestamp[0]).toBe(12);
  });
});

describe('loadDataset: precise bad-input errors', () => {
  it('names interactions.csv when it is missing', async () => {
    const dir = await dataset({ 'users.csv': 'USER_ID\nu1\n' });
    const err = await dataError(() => loadDataset(dir));
    expect(err.file).toBe(join(dir, 'interactions.csv'));
    expect(err.message).toContain('interactions.csv');
    expect(err.message).toContain('not found');
  });

  it('names the folder when it does not exist', async () => {
    const err = await dataError(() => loadDataset(join(tmpdir(), 'osusume-no-such-folder-xyz')));
    expect(err.message).toMatch(/osusume-no-such-folder-xyz: dataset folder not found/);
  });

  it('names file, header line and column when a required column is missing', async () => {
    const dir = await dataset({ 'interactions.csv': 'USER_ID,ITEM_ID,EVENT_TYPE\nu1,i1,view\n' });
    const err = await dataError(() => loadDataset(dir));
    expect(err.line).toBe(1);
    expect(err.message).toContain(`${join(dir, 'interactions.csv')}:1: missing required column TIMESTAMP`);
  });

  it('names the missing id column of users.csv', async () => {
    const dir = await dataset({ 'interactions.csv': `${HEADER}u1,i1,1\n`, 'users.csv': 'ID,GENDER\nu1,F\n' });
    const err = await dataError(() => loadDataset(dir));
    expect(err.message).toContain('users.csv:1: missing required column USER_ID');
  });

  it('fails on a header with broken quoting instead of taking the next line as header', async () => {
    const dir = await dataset({ 'interactions.csv': 'USER_ID,ITEM"_ID,TIMESTAMP\nu1,i1,1\n' });
    const err = await dataError(() => loadDataset(dir));
    expect(err.message).toContain(
      `${join(dir, 'interactions.csv')}:1: bad header: a quote inside an unquoted field`,
    );
  });

  it('hints at the delimiter when the header is one semicolon-separated column', async () => {
    const dir = await dataset({ 'interactions.csv': 'USER_ID;ITEM_ID;TIMESTAMP\nu1;i1;1\n' });
    const err = await dataError(() => loadDataset(dir));
    expect(err.message).toContain('comma-separated');
  });

  it.each([
    ['an empty USER_ID', ',i1,1', 'empty USER_ID'],
    ['an ITEM_ID over 256 characters', `u1,${'x'.repeat(257)},1`, 'ITEM_ID longer than 256 characters'],
    ['a non-numeric timestamp', 'u1,i1,yesterday', 'TIMESTAMP "yesterday" is not a number'],
    ['an empty timestamp', 'u1,i1,', 'empty TIMESTAMP'],
    ['a negative timestamp', 'u1,i1,-5', 'TIMESTAMP -5 is negative'],
    [
      'a millisecond timestamp',
      'u1,i1,1600000000000',
      'TIMESTAMP 1600000000000 is beyond year 2100 (milliseconds?',
    ],
    ['a timestamp beyond 2100', 'u1,i1,1e300', 'TIMESTAMP 1e300 is beyond year 2100'],
    ['too few columns', 'u1,i1', 'expected 3 columns, got 2'],
    ['too many columns', 'u1,i1,1,extra', 'expected 3 columns, got 4'],
    ['a quote inside an unquoted field', 'u1,i"1,1', 'a quote inside an unquoted field'],
  ])('skips a row with %s and reports file:line', async (_what, row, message) => {
    const dir = await dataset({ 'interactions.csv': `${HEADER}u0,i0,1\n${row}\nu2,i2,3\n` });
    const d = await loadDataset(dir);
    expect(d.interactions.length).toBe(2);
    expect(d.stats.interactions.skipped).toBe(1);
    expect(d.stats.interactions.rows).toBe(3);
    expect(d.stats.interactions.errors).toHaveLength(1);
    expect(d.stats.interactions.errors[0]).toContain(`${join(dir, 'interactions.csv')}:3: ${message}`);
  });

  it('skips a row whose EVENT_VALUE is not a number', async () => {
    const dir = await dataset({
      'interactions.csv': 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_VALUE\nu1,i1,1,2.5\nu1,i2,2,lots\n',
    });
    const d = await loadDataset(dir);
    expect(d.stats.interactions.errors).toEqual([
      `${join(dir, 'interactions.csv')}:3: EVENT_VALUE "lots" is not a number`,
    ]);
  });

  it('skips an item row with a bad CREATION_TIMESTAMP', async () => {
    const dir = await dataset({
      'interactions.csv': `${HEADER}u1,i1,1\n`,
      'items.csv': 'ITEM_ID,CREATION_TIMESTAMP\ni1,soon\ni2,7\n',
    });
    const d = await loadDataset(dir);
    expect(d.stats.items?.errors[0]).toContain('items.csv:2: CREATION_TIMESTAMP "soon" is not a number');
    expect(d.itemCreated![d.items.get('i2')]).toBe(7);
  });

  it('accepts a CREATION_TIMESTAMP before 1970 (old catalogue) but not before 1800', async () => {
    const dir = await dataset({
      'interactions.csv': `${HEADER}u1,i1,1\n`,
      'items.csv': 'ITEM_ID,CREATION_TIMESTAMP\ni1,-94694400\ni2,-6000000000\n',
    });
    const d = await loadDataset(dir);
    expect(d.itemCreated![d.items.get('i1')]).toBe(-94_694_400);
    expect(d.stats.items?.errors).toEqual([
      `${join(dir, 'items.csv')}:3: CREATION_TIMESTAMP -6000000000 is before year 1800`,
    ]);
  });

  it('fails on an unterminated quote, naming the line where its record starts', async () => {
    // Line 4 opens a quote that nothing closes: the 1,996 rows after it would vanish into one field.
    const dir = await dataset({ 'interactions.csv': `${HEADER}u1,i1,1\n\nu2,"i2,2\n${goodRows(1996)}` });
    const err = await dataError(() => loadDataset(dir));
    expect(err.line).toBe(4);
    expect(err.message).toContain(`${join(dir, 'interactions.csv')}:4: unterminated quoted field`);
    expect(err.message).toContain('lines 4-2000');
  });

  it('fails on a bad closing quote that leaves its field open to the end of the file', async () => {
    const dir = await dataset({ 'interactions.csv': `${HEADER}${goodRows(5)}u1,"i1"x,1\n${goodRows(50)}` });
    const err = await dataError(() => loadDataset(dir));
    expect(err.line).toBe(7);
    expect(err.message).toContain('unexpected character after a closing quote');
    expect(err.message).toContain('lines 7-57');
  });

  it('counts every physical line a broken quoted record swallowed as a lost row', async () => {
    // The quote opened on line 3 is closed by the stray quote on line 5: lines 3-5 are one broken record.
    const dir = await dataset({
      'interactions.csv': `${HEADER}u0,i0,1\nu1,"i\n1"x,1\nu2,i2,2"\n${goodRows(4)}`,
    });
    const d = await loadDataset(dir);
    expect(d.interactions.length).toBe(5);
    expect(d.stats.interactions).toMatchObject({ rows: 8, skipped: 3 });
    expect(d.stats.interactions.errors).toEqual([
      `${join(dir, 'interactions.csv')}:3: unexpected character after a closing quote (double a quote inside a quoted field: "") (lines 3-5 lost)`,
    ]);
  });

  it('counts the lines a broken record at the end of the file swallowed', async () => {
    const dir = await dataset({ 'interactions.csv': `${HEADER}u0,i0,1\nu1,"i1"x,1\nu2,i2",2\n` });
    const d = await loadDataset(dir);
    expect(d.stats.interactions).toMatchObject({ rows: 3, skipped: 2 });
    expect(d.stats.interactions.errors[0]).toContain(
      'interactions.csv:3: unexpected character after a closing quote',
    );
    expect(d.stats.interactions.errors[0]).toContain('(lines 3-4 lost)');
  });

  it('fails when the rows a broken record swallowed exceed the bad-row budget', async () => {
    // One error, but 30 lines lost between line 3 and the closing stray quote: more than 10 + 1 %.
    const dir = await dataset({
      'interactions.csv': `${HEADER}u0,i0,1\nu1,"i1"x,1\n${goodRows(28)}u2,i2",2\n${goodRows(100)}`,
    });
    const err = await dataError(() => loadDataset(dir));
    expect(err.line).toBe(3);
    expect(err.message).toContain('30 of 131 rows are bad');
  });

  it('rejects invalid UTF-8, naming the line', async () => {
    const dir = await dataset({});
    await writeFile(
      join(dir, 'interactions.csv'),
      Buffer.concat([Buffer.from(`${HEADER}u1,i1,1\nu`), Buffer.from([0xe9]), Buffer.from(',i1,2\n')]),
    );
    const err = await dataError(() => loadDataset(dir));
    expect(err.line).toBe(3);
    expect(err.message).toContain(`${join(dir, 'interactions.csv')}:3: invalid UTF-8 (byte 0xe9`);
  });

  it('keeps distinct latin-1 ids from merging: u\\xe9 and u\\xe8 are rejected, not both read as u\\ufffd', async () => {
    const bytes = Buffer.concat([
      Buffer.from(HEADER),
      Buffer.from([0x75, 0xe9]),
      Buffer.from(',i1,1\n'),
      Buffer.from([0x75, 0xe8]),
      Buffer.from(',i1,2\n'),
    ]);
    await expect(
      loadDatasetFromStreams({ interactions: { name: 'latin1.csv', stream: Readable.from([bytes]) } }),
    ).rejects.toThrow(/^latin1\.csv:2: invalid UTF-8/);
  });

  it('names the line of invalid UTF-8 whatever the chunk boundaries', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${HEADER}${goodRows(40)}ユーザー,i1,1\nu`),
      Buffer.from([0xe3, 0x81]), // a 3-byte sequence cut short
      Buffer.from(',i1,2\n'),
    ]);
    for (const size of [1, 2, 3, 7, 64]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      await expect(
        loadDatasetFromStreams({ interactions: { name: 's.csv', stream: Readable.from(chunks) } }),
      ).rejects.toThrow(/^s\.csv:43: invalid UTF-8/);
    }
  });

  it('says a UTF-16 file is UTF-16', async () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${HEADER}u1,i1,1\n`, 'utf16le')]);
    await expect(
      loadDatasetFromStreams({ interactions: { name: 'w.csv', stream: Readable.from([bytes]) } }),
    ).rejects.toThrow(/^w\.csv:1: .*UTF-16/);
  });

  it('loads when bad rows stay within maxBadRows + maxBadRowShare × rows', async () => {
    // 990 good + 20 bad rows: allowance 10 + floor(0.01 × 1010) = 20.
    const dir = await dataset({ 'interactions.csv': `${HEADER}${goodRows(990)}${',i,1\n'.repeat(20)}` });
    const d = await loadDataset(dir);
    expect(d.interactions.length).toBe(990);
    expect(d.stats.interactions.skipped).toBe(20);
    expect(d.stats.interactions.errors).toHaveLength(20);
  });

  it('fails beyond the allowance, naming the first bad line and the counts', async () => {
    const dir = await dataset({ 'interactions.csv': `${HEADER}${goodRows(990)}${',i,1\n'.repeat(21)}` });
    const err = await dataError(() => loadDataset(dir));
    expect(err.line).toBe(992);
    expect(err.message).toContain(`${join(dir, 'interactions.csv')}:992: empty USER_ID`);
    expect(err.message).toContain('21 of 1011 rows are bad, more than the 20 allowed');
  });

  it('keeps at most 20 error strings however many rows are skipped', async () => {
    const dir = await dataset({ 'interactions.csv': `${HEADER}u1,i1,1\n${',i,1\n'.repeat(30)}` });
    const d = await loadDataset(dir, { maxBadRowShare: 1 });
    expect(d.stats.interactions.skipped).toBe(30);
    expect(d.stats.interactions.errors).toHaveLength(20);
  });

  it('rejects any bad row when both allowances are 0', async () => {
    const dir = await dataset({ 'interactions.csv': `${HEADER}${goodRows(50)}u1,i1,x\n` });
    const err = await dataError(() => loadDataset(dir, { maxBadRows: 0, maxBadRowShare: 0 }));
    expect(err.line).toBe(52);
  });

  it('rejects invalid load options', async () => {
    const dir = await dataset({ 'interactions.csv': `${HEADER}u1,i1,1\n` });
    await expect(loadDataset(dir, { maxBadRowShare: 2 })).rejects.toBeInstanceOf(ValidationError);
  });

  it('rejects an interactions.csv with a header but no rows', async () => {
    const dir = await dataset({ 'interactions.csv': HEADER });
    const err = await dataError(() => loadDataset(dir));
    expect(err.message).toContain('interactions.csv: no interaction rows');
  });

  it('rejects an interactions.csv whose few rows are all bad, quoting the first error', async () => {
    const dir = await dataset({ 'interactions.csv': `${HEADER}u1,i1,x\n` });
    const err = await dataError(() => loadDataset(dir));
    expect(err.message).toContain('no interaction rows (all 1 rows are bad (first:');
    expect(err.message).toContain('interactions.csv:2: TIMESTAMP "x" is not a number');
  });

  it('rejects an empty interactions.csv', async () => {
    const dir = await dataset({ 'interactions.csv': '' });
    const err = await dataError(() => loadDataset(dir));
    expect(err.message).toContain('interactions.csv: file is empty');
  });

  it('accepts header-only users.csv and items.csv', async () => {
    const dir = await dataset({
      'interactions.csv': `${HEADER}u1,i1,1\n`,
      'users.csv': 'USER_ID,GENDER\n',
      'items.csv': 'ITEM_ID,CATEGORY\r\n',
    });
    const d = await loadDataset(dir);
    expect(d.stats.users).toMatchObject({ rows: 0, skipped: 0 });
    expect(d.stats.items).toMatchObject({ rows: 0, skipped: 0 });
  });
});

describe('loadDatasetFromStreams', () => {
  it('loads from Readable sources and names them in errors', async () => {
    const d = await loadDatasetFromStreams({
      interactions: {
        name: 's3://bucket/shop/interactions.csv',
        stream: Readable.from([
          Buffer.from('USER_ID,ITEM_ID,TIMESTAMP\nu1,'),
          Buffer.from('i1,1\nu2,i2,oops\n'),
        ]),
      },
      items: { name: 's3://bucket/shop/items.csv', stream: Readable.from(['ITEM_ID,CATEGORY\ni1,a|b\n']) },
    });
    expect(d.interactions.length).toBe(1);
    expect(values(d.itemAttributes[0], 0)).toEqual(['a', 'b']);
    expect(d.stats.interactions.errors[0]).toMatch(
      /^s3:\/\/bucket\/shop\/interactions\.csv:3: TIMESTAMP "oops"/,
    );
  });

  it('decodes a multi-byte UTF-8 character split across chunks', async () => {
    const bytes = Buffer.from('USER_ID,ITEM_ID,TIMESTAMP\nユーザー,i1,1\n');
    const cut = bytes.indexOf(Buffer.from('ー')) + 1;
    const d = await loadDatasetFromStreams({
      interactions: { name: 'x.csv', stream: Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]) },
    });
    expect(d.users.ids).toEqual(['ユーザー']);
  });

  it('destroys the streams it did not read when the load fails early', async () => {
    const users = Readable.from(['USER_ID\nu1\n']);
    await expect(
      loadDatasetFromStreams({
        interactions: { name: 'interactions.csv', stream: Readable.from(['USER_ID,ITEM_ID\nu1,i1\n']) },
        users: { name: 'users.csv', stream: users },
      }),
    ).rejects.toThrow(/interactions\.csv:1: missing required column TIMESTAMP/);
    expect(users.destroyed).toBe(true);
  });

  it('keeps physical line numbers right whatever the chunk boundaries (CRLF, multi-line fields)', async () => {
    const lines = ['USER_ID,ITEM_ID,TIMESTAMP,NOTE'];
    for (let i = 0; i < 300; i++) {
      if (i % 37 === 0) lines.push(`u${i},i${i},1,"multi\r\nline"`, '');
      lines.push(i % 41 === 0 ? `,i${i},1,x` : `u${i},i${i},${i},"q, ""x"""`);
    }
    const bytes = Buffer.from(`${lines.join('\r\n')}\r\n`);
    // Expected lines as an editor numbers them: every CRLF, inside quotes or not, ends a line.
    const expected = bytes
      .toString()
      .split('\r\n')
      .flatMap((l, k) => (l.startsWith(',i') ? [`s.csv:${k + 1}: empty USER_ID`] : []));
    for (const size of [1, 2, 5, 64]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      const d = await loadDatasetFromStreams({
        interactions: { name: 's.csv', stream: Readable.from(chunks) },
      });
      expect(d.stats.interactions.errors).toEqual(expected);
    }
  });

  it('reads plain lines directly and hands over to the CSV parser at the first quote, keeping line numbers', async () => {
    const lines = ['\ufeffUSER_ID,ITEM_ID,TIMESTAMP,NOTE'];
    for (let i = 0; i < 200; i++) {
      if (i % 50 === 7) lines.push('');
      const note = i < 120 ? 'plain' : i === 120 ? '"two\nlines"' : '"q, ""x"""';
      lines.push(i % 41 === 0 ? `,i${i},1,x` : `u${i},i${i},${i},${note}`);
    }
    const bytes = Buffer.from(`${lines.join('\n')}\n`);
    // physical lines as an editor numbers them (the quoted field of row 120 spans two)
    const physical = bytes.toString().split('\n');
    const expected = physical.flatMap((l, k) =>
      l.startsWith(',i') ? [`s.csv:${k + 1}: empty USER_ID`] : [],
    );
    for (const size of [1, 3, 64, 100_000]) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < bytes.length; at += size) chunks.push(bytes.subarray(at, at + size));
      const d = await loadDatasetFromStreams({
        interactions: { name: 's.csv', stream: Readable.from(chunks) },
      });
      expect(d.stats.interactions.errors).toEqual(expected);
      expect(d.stats.interactions.rows).toBe(200);
      expect(d.users.ids[0]).toBe('u1');
      expect(d.interactions.length).toBe(200 - expected.length);
    }
  });

  it('propagates a read error of the source stream', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(
      loadDatasetFromStreams({ interactions: { name: 'x.csv', stream: failing } }),
    ).rejects.toThrow('connection reset');
  });
});

describe('loadDataset at scale', () => {
  it('loads a generated 1M-row interactions.csv', async () => {
    const dir = await dataset({});
    const out = createWriteStream(join(dir, 'interactions.csv'));
    out.write('USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n');
    const types = ['view', 'cart', 'purchase'];
    const n = 1_000_000;
    // Pre-built id strings keep generation cheap: only the timestamp is formatted per row.
    const users = Array.from({ length: 40_000 }, (_, k) => `u${k},`);
    const items = Array.from({ length: 25_000 }, (_, k) => `i${k},`);
    const tails = Array.from({ length: 15 }, (_, k) => `,${types[k % 3]},${k % 5}\n`);
    const chunk: string[] = [];
    for (let r = 0; r < n; r++) {
      chunk.push(users[r % 40_000] + items[(r * 7) % 25_000] + (1_600_000_000 + r) + tails[r % 15]);
      if (chunk.length === 50_000) {
        if (!out.write(chunk.join(''))) await once(out, 'drain');
        chunk.length = 0;
      }
    }
    out.end();
    await once(out, 'finish');

    const d = await loadDataset(dir);
    const it = d.interactions;
    expect(it.length).toBe(n);
    expect(d.users.size).toBe(40_000);
    expect(d.items.size).toBe(25_000);
    expect(d.eventTypes.ids).toEqual(['', 'view', 'cart', 'purchase']);
    const r = 123_457;
    expect(d.users.ids[it.user[r]]).toBe(`u${r % 40_000}`);
    expect(d.items.ids[it.item[r]]).toBe(`i${(r * 7) % 25_000}`);
    expect(it.timestamp[r]).toBe(1_600_000_000 + r);
    expect(d.eventTypes.ids[it.eventType[r]]).toBe(types[r % 3]);
    expect(it.eventValue[n - 1]).toBe((n - 1) % 5);
  }, 60_000);
});
