import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { QueryTypes, Transaction, type Sequelize } from 'sequelize';
import { createSequelize } from '../../lib/db/connection';

type Connection = { open: boolean; once(event: 'close', listener: () => void): void };
const connectionOf = (t: Transaction) => (t as unknown as { connection: Connection }).connection;

describe('the connections of SQLite transactions', () => {
  let dir: string;
  let sequelize: Sequelize;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'transaction-connections-'));
    sequelize = createSequelize({ dialect: 'sqlite', url: `sqlite:${path.join(dir, 'db.sqlite')}` } as Parameters<typeof createSequelize>[0]);
    await sequelize.query('CREATE TABLE parents (id INTEGER PRIMARY KEY)');
    await sequelize.query('CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parents(id))');
  });
  afterEach(async () => {
    await sequelize.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const inTransaction = <T>(work: (t: Transaction) => Promise<T>) => sequelize.transaction({ type: Transaction.TYPES.IMMEDIATE }, work);
  const foreignKeysOn = async (t: Transaction) => (await sequelize.query<{ foreign_keys: number }>('PRAGMA foreign_keys', { type: QueryTypes.SELECT, transaction: t }))[0]!.foreign_keys === 1;

  test('stay open after a transaction that committed or rolled back, and serve the next one as it was', async () => {
    const first = await inTransaction(async (t) => {
      await sequelize.query('INSERT INTO parents (id) VALUES (1)', { transaction: t });
      return connectionOf(t);
    });
    await expect(
      inTransaction(async (t) => {
        expect(connectionOf(t)).toBe(first);
        await sequelize.query('INSERT INTO parents (id) VALUES (2)', { transaction: t });
        throw new Error('roll it back');
      }),
    ).rejects.toThrow('roll it back');
    const third = await inTransaction(async (t) => {
      // Its pragmas as set when it was opened (foreign keys enforced), and no transaction left open in it.
      expect(await foreignKeysOn(t)).toBe(true);
      await expect(sequelize.query('INSERT INTO children (id, parent_id) VALUES (1, 99)', { transaction: t })).rejects.toThrow(/FOREIGN KEY/);
      return connectionOf(t);
    });
    expect(third).toBe(first);
    expect(first.open).toBe(true);
    expect((await sequelize.query<{ id: number }>('SELECT id FROM parents', { type: QueryTypes.SELECT })).map((r) => r.id)).toEqual([1]);
  });

  test('are closed instead when a transaction changed one for later (a pragma), so the next transaction has a fresh connection', async () => {
    let closing!: Promise<void>;
    const changed = await inTransaction(async (t) => {
      await sequelize.query('PRAGMA foreign_keys = OFF', { transaction: t });
      const connection = connectionOf(t);
      closing = new Promise((resolve) => connection.once('close', () => resolve()));
      return connection;
    });
    await inTransaction(async (t) => {
      expect(connectionOf(t)).not.toBe(changed);
      expect(await foreignKeysOn(t)).toBe(true);
    });
    await closing;
    expect(changed.open).toBe(false);
  });

  test("are closed when a transaction's COMMIT fails, which gives up its write lock: the next write transaction goes through", async () => {
    await sequelize.query('CREATE TABLE late_children (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED)');
    let failed: Connection | undefined;
    // A deferred foreign key is checked at COMMIT, which fails and leaves SQLite's transaction open.
    await expect(
      inTransaction(async (t) => {
        failed = connectionOf(t);
        await sequelize.query('INSERT INTO late_children (id, parent_id) VALUES (1, 99)', { transaction: t });
      }),
    ).rejects.toThrow(/FOREIGN KEY/);
    expect(failed!.open).toBe(false);
    await inTransaction(async (t) => {
      expect(connectionOf(t)).not.toBe(failed);
      await sequelize.query('INSERT INTO parents (id) VALUES (7)', { transaction: t });
    });
    expect(await sequelize.query('SELECT COUNT(*) AS n FROM late_children', { plain: true })).toEqual({ n: 0 });
  }, 15_000);

  test('stay open four at most: of six ending at once, the next six transactions reuse four', async () => {
    /** Six transactions side by side, each holding its connection until all six have one. */
    const sixTogether = async () => {
      let started = 0;
      let allStarted!: () => void;
      const together = new Promise<void>((resolve) => (allStarted = resolve));
      return Promise.all(
        [1, 2, 3, 4, 5, 6].map(() =>
          sequelize.transaction(async (t) => {
            await sequelize.query('SELECT 1', { transaction: t });
            if (++started === 6) allStarted();
            await together;
            return connectionOf(t);
          }),
        ),
      );
    };
    const first = await sixTogether();
    expect(new Set(first).size).toBe(6);
    const second = await sixTogether();
    expect(second.filter((c) => first.includes(c))).toHaveLength(4);
  });

  test('serve transactions running side by side with a connection each, and are closed with the database', async () => {
    const seen = await Promise.all(
      [1, 2, 3].map(() => sequelize.transaction(async (t) => {
        await sequelize.query('SELECT 1', { transaction: t });
        await new Promise((resolve) => setTimeout(resolve, 20));
        return connectionOf(t);
      })),
    );
    expect(new Set(seen).size).toBe(3);
    await sequelize.close();
    expect(seen.map((c) => c.open)).toEqual([false, false, false]);
    sequelize = createSequelize({ dialect: 'sqlite', url: `sqlite:${path.join(dir, 'db.sqlite')}` } as Parameters<typeof createSequelize>[0]);
  });
});
