import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSequelize } from '../../lib/db/connection';

// The embedded database retries a statement only when SQLite is busy: a statement that fails
// for any other reason (a taken unique key here) reaches its caller on the first attempt.
test('an SQLite statement that fails for a reason other than a busy database is tried once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sqlite-retry-'));
  const sequelize = createSequelize({ dialect: 'sqlite', url: `sqlite:${path.join(dir, 'db.sqlite')}` } as Parameters<typeof createSequelize>[0]);
  try {
    const attempts: string[] = [];
    await sequelize.query('CREATE TABLE keyed (id INTEGER PRIMARY KEY)');
    await sequelize.query('INSERT INTO keyed (id) VALUES (1)');
    sequelize.addHook('afterQuery', (_options, query) => void attempts.push(String((query as unknown as { sql: string }).sql)));
    await expect(sequelize.query('INSERT INTO keyed (id) VALUES (1)')).rejects.toMatchObject({ name: 'SequelizeUniqueConstraintError' });
    expect(attempts).toEqual(['INSERT INTO keyed (id) VALUES (1)']);
  } finally {
    await sequelize.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
