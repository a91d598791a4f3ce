import { QueryTypes, Transaction } from 'sequelize';
import { createSequelize } from '../../lib/db/connection';
import { writeTransactionOptions } from '../../lib/db/deadlock';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** Short write transactions (lib/db/deadlock.ts) as each database runs them. */
let db: TestDatabase;
beforeAll(async () => void (db = await createTestDatabase()), 60_000);
afterAll(() => db.drop());

const onMysql = () => db.database.dialect === 'mysql';

test('on MySQL/MariaDB, every connection runs its transactions READ COMMITTED without a statement of their own to say so', async () => {
  if (!onMysql()) return expect(writeTransactionOptions(db.sequelize)).toEqual({ type: Transaction.TYPES.IMMEDIATE });
  const statements: string[] = [];
  const sequelize = createSequelize(db.database, { logging: (sql) => statements.push(sql) });
  try {
    const isolationIn = (transaction: Transaction) =>
      sequelize
        // MariaDB before 11.1 names it tx_isolation, MySQL 8 transaction_isolation.
        .query<{ level: string }>('SELECT @@session.tx_isolation AS level', { type: QueryTypes.SELECT, transaction })
        .catch(() => sequelize.query<{ level: string }>('SELECT @@session.transaction_isolation AS level', { type: QueryTypes.SELECT, transaction }))
        .then(([row]) => row!.level);
    // Side by side, so the pool opens more than one connection.
    let inside = 0;
    let bothInside!: () => void;
    const together = new Promise<void>((resolve) => (bothInside = resolve));
    const levels = await Promise.all(
      [1, 2].map(() =>
        sequelize.transaction(writeTransactionOptions(sequelize), async (transaction) => {
          const level = await isolationIn(transaction);
          if (++inside === 2) bothInside();
          await together;
          return level;
        }),
      ),
    );
    expect(levels).toEqual(['READ-COMMITTED', 'READ-COMMITTED']);
    expect(statements.filter((sql) => /TRANSACTION ISOLATION LEVEL/i.test(sql))).toEqual([]);
  } finally {
    await sequelize.close();
  }
});
