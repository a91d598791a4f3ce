import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataTypes, type Sequelize } from 'sequelize';
import sqlite3 from 'sqlite3';
import { createSequelize } from '../../lib/db/connection';
import { COLUMN_TYPES_KEPT_MS, createColumnTypesCache, keepColumnTypes } from '../../lib/db/sqlite-column-types';
import type { SqliteStatements } from '../../lib/db/sqlite-statements';

// What SQLite itself was asked, seen through its trace on the connection Sequelize hands out.
async function traced(sequelize: Sequelize): Promise<string[]> {
  const manager = (sequelize as unknown as { connectionManager: { getConnection(): Promise<sqlite3.Database> } }).connectionManager;
  const statements: string[] = [];
  (await manager.getConnection()).on('trace', (sql) => statements.push(sql));
  return statements;
}

const columnQuestions = (statements: string[]) => statements.filter((sql) => sql.startsWith('PRAGMA table_info('));

describe('the SQLite column types Sequelize asks for before each read', () => {
  let dir: string;
  let sequelize: Sequelize;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'column-types-'));
    sequelize = createSequelize({ dialect: 'sqlite', url: `sqlite:${path.join(dir, 'db.sqlite')}` } as Parameters<typeof createSequelize>[0]);
  });
  afterEach(async () => {
    await sequelize.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('are asked of SQLite once for many reads of a table, and its dates and JSON still come back parsed', async () => {
    await sequelize.query('CREATE TABLE things (id INTEGER PRIMARY KEY, seen_at DATETIME, data JSON)');
    const Thing = sequelize.define('Thing', { id: { type: DataTypes.INTEGER, primaryKey: true }, seen_at: DataTypes.DATE, data: DataTypes.JSON }, { tableName: 'things', timestamps: false });
    await Thing.create({ id: 1, seen_at: new Date('2026-12-05T06:00:00Z'), data: { a: 1 } });
    const statements = await traced(sequelize);
    for (let i = 0; i < 5; i++) {
      const [row] = await Thing.findAll();
      expect(row!.get({ plain: true })).toEqual({ id: 1, seen_at: new Date('2026-12-05T06:00:00Z'), data: { a: 1 } });
    }
    expect(columnQuestions(statements)).toHaveLength(1);
  });

  test('are asked again after a schema change, so a column added since is parsed too', async () => {
    await sequelize.query('CREATE TABLE things (id INTEGER PRIMARY KEY)');
    await sequelize.query('INSERT INTO things (id) VALUES (1)');
    expect(await sequelize.query('SELECT * FROM `things`', { plain: true })).toEqual({ id: 1 });
    await sequelize.getQueryInterface().addColumn('things', 'seen_at', { type: DataTypes.DATE, allowNull: true });
    await sequelize.query("UPDATE things SET seen_at = '2026-12-05 06:00:00.000 +00:00'");
    const Thing = sequelize.define('Thing', { id: { type: DataTypes.INTEGER, primaryKey: true }, seen_at: DataTypes.DATE }, { tableName: 'things', timestamps: false });
    // With the answer from before the ALTER kept, seen_at would come back as the stored string.
    expect((await Thing.findAll())[0]!.get({ plain: true })).toEqual({ id: 1, seen_at: new Date('2026-12-05T06:00:00Z') });
  });
});

test('a kept answer lapses after COLUMN_TYPES_KEPT_MS, so a migration another process ran is seen', async () => {
  const database = new sqlite3.Database(':memory:');
  // Counted where the question leaves for SQLite (its trace event can arrive after the answer).
  const statements: string[] = [];
  const all = database.all.bind(database);
  (database as unknown as SqliteStatements).all = (sql: string, ...args: unknown[]) => {
    statements.push(sql);
    return (all as (...a: unknown[]) => unknown)(sql, ...args);
  };
  let now = 1_000_000;
  keepColumnTypes(database as unknown as SqliteStatements, createColumnTypesCache(), () => now);
  const ask = () => new Promise<unknown>((resolve, reject) => database.all('PRAGMA table_info(`things`)', (err, rows) => (err ? reject(err) : resolve(rows))));
  try {
    await new Promise<void>((resolve, reject) => database.exec('CREATE TABLE things (id INTEGER PRIMARY KEY)', (err) => (err ? reject(err) : resolve())));
    expect(await ask()).toEqual([expect.objectContaining({ name: 'id', type: 'INTEGER' })]);
    now += COLUMN_TYPES_KEPT_MS - 1;
    await ask();
    expect(columnQuestions(statements)).toHaveLength(1);
    now += 1;
    await ask();
    expect(columnQuestions(statements)).toHaveLength(2);
  } finally {
    await new Promise((resolve) => database.close(resolve));
  }
});

describe('a kept answer and schema changes on other connections of the process', () => {
  let dir: string;
  let a: sqlite3.Database;
  let b: sqlite3.Database;
  let asked: string[];
  let holdAnswersUntil: Promise<void> | null = null;
  let answered: () => void = () => {};
  const call = (db: sqlite3.Database, method: 'run' | 'all' | 'exec', sql: string) =>
    new Promise<any>((resolve, reject) => (db[method] as (...args: unknown[]) => unknown)(sql, (err: Error | null, rows?: unknown) => (err ? reject(err) : resolve(rows))));
  const columnsOf = async (db: sqlite3.Database) => ((await call(db, 'all', 'PRAGMA table_info(`things`)')) as Array<{ name: string }>).map((c) => c.name);

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'column-types-'));
    const cache = createColumnTypesCache();
    asked = [];
    [a, b] = [new sqlite3.Database(path.join(dir, 'db.sqlite')), new sqlite3.Database(path.join(dir, 'db.sqlite'))];
    const all = a.all.bind(a);
    (a as unknown as SqliteStatements).all = (sql: string, ...args: unknown[]) => {
      asked.push(sql);
      // SQLite's answer held back, as a busy pool thread could hold it, when a test says so.
      const hold = holdAnswersUntil;
      const callback = args[args.length - 1] as (...results: unknown[]) => void;
      if (!hold) return (all as (...x: unknown[]) => unknown)(sql, ...args);
      return (all as (...x: unknown[]) => unknown)(sql, ...args.slice(0, -1), (...results: unknown[]) => {
        answered();
        void hold.then(() => callback(...results));
      });
    };
    keepColumnTypes(a as unknown as SqliteStatements, cache);
    keepColumnTypes(b as unknown as SqliteStatements, cache);
  });
  afterEach(async () => {
    await Promise.all([a, b].map((db) => new Promise((resolve) => db.close(resolve))));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('an answer asked for before another connection altered the table, and arriving after the change ended, is not kept', async () => {
    await call(b, 'exec', 'CREATE TABLE things (id INTEGER PRIMARY KEY)');
    let release!: () => void;
    holdAnswersUntil = new Promise<void>((resolve) => (release = resolve));
    const answeredBySqlite = new Promise<void>((resolve) => (answered = resolve));
    const before = columnsOf(a);
    holdAnswersUntil = null;
    // SQLite has answered (before the change), but the answer reaches the cache only after it.
    await answeredBySqlite;
    await call(b, 'run', 'ALTER TABLE things ADD COLUMN seen_at DATETIME');
    release();
    expect(await before).toEqual(['id']);
    expect(await columnsOf(a)).toEqual(['id', 'seen_at']);
  });

  test("an answer given while another connection's migration was still open is forgotten when it commits", async () => {
    await call(b, 'exec', 'CREATE TABLE things (id INTEGER PRIMARY KEY)');
    await call(b, 'run', 'BEGIN');
    await call(b, 'run', 'ALTER TABLE things ADD COLUMN seen_at DATETIME');
    expect(await columnsOf(a)).toEqual(['id']);
    await call(b, 'run', 'COMMIT');
    expect(await columnsOf(a)).toEqual(['id', 'seen_at']);
  });

  test('a table that does not exist yet is not remembered as having no columns', async () => {
    expect(await columnsOf(a)).toEqual([]);
    await call(b, 'exec', 'CREATE TABLE things (id INTEGER PRIMARY KEY)');
    expect(await columnsOf(a)).toEqual(['id']);
    expect(await columnsOf(a)).toEqual(['id']);
    expect(columnQuestions(asked)).toHaveLength(2);
  });
});
