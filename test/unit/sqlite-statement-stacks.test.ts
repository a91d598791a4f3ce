import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataTypes, UniqueConstraintError, type Sequelize } from 'sequelize';
import { createSequelize } from '../../lib/db/connection';

/** Stands in for the process's usual stack formatting (Node's, source-mapped), noting each stack of a statement Sequelize runs. */
function watchUsualFormatting() {
  const statementStacks: string[] = [];
  const before = Error.prepareStackTrace;
  const usual = (error: Error, sites: NodeJS.CallSite[]) => {
    const stack = `${String(error)} [usual]\n    at ${sites.join('\n    at ')}`;
    if (sites.some((site) => site.getFileName()?.includes('dialects/sqlite/query'))) statementStacks.push(stack);
    return stack;
  };
  Error.prepareStackTrace = usual;
  return { statementStacks, usual, restore: () => (Error.prepareStackTrace = before) };
}

describe('the stack Sequelize takes for each SQLite statement', () => {
  let dir: string;
  let sequelize: Sequelize;
  let watch: ReturnType<typeof watchUsualFormatting>;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'statement-stacks-'));
    sequelize = createSequelize({ dialect: 'sqlite', url: `sqlite:${path.join(dir, 'db.sqlite')}` } as Parameters<typeof createSequelize>[0]);
    watch = watchUsualFormatting();
  });
  afterEach(async () => {
    watch.restore();
    await sequelize.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const defineThings = async () => {
    await sequelize.query('CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT UNIQUE)');
    return sequelize.define('Thing', { id: { type: DataTypes.INTEGER, primaryKey: true }, name: DataTypes.STRING }, { tableName: 'things', timestamps: false });
  };

  test('is not formatted the usual (source-mapped) way for statements that succeed, and the usual formatting is back afterwards', async () => {
    const Thing = await defineThings();
    await Thing.create({ id: 1, name: 'one' });
    await Thing.bulkCreate([{ id: 2, name: 'two' }]);
    await Thing.update({ name: 'uno' }, { where: { id: 1 } });
    expect((await Thing.findAll({ order: [['id', 'ASC']] })).map((t) => t.get('name'))).toEqual(['uno', 'two']);
    await sequelize.transaction(async (transaction) => Thing.destroy({ where: { id: 2 }, transaction }));
    expect(watch.statementStacks).toEqual([]);
    expect(Error.prepareStackTrace).toBe(watch.usual);
  });

  test("a failed statement's error carries its stack in the usual formatting, naming the caller", async () => {
    const Thing = await defineThings();
    await Thing.create({ id: 1, name: 'one' });
    const failure = await (async function createTheSameNameTwice() {
      try {
        await Thing.create({ id: 2, name: 'one' });
      } catch (err) {
        return err;
      }
    })();
    expect(failure).toBeInstanceOf(UniqueConstraintError);
    expect(watch.statementStacks).toHaveLength(1);
    expect((failure as Error).stack).toContain('[usual]');
    expect((failure as Error).stack).toContain('createTheSameNameTwice');
    expect(Error.prepareStackTrace).toBe(watch.usual);
  });
});
