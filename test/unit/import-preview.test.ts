import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import * as api from '../../api/imports/rows';

interface Problem {
  row: number;
  column: string;
  message: string;
}
interface Category {
  id: number;
  code: string;
  name: string;
  fields: Array<{ key: string }>;
}
interface Preview {
  REQUIRED_COLUMNS: readonly string[];
  OPTIONAL_COLUMNS: readonly string[];
  headerProblems(columns: string[], categories: Category[]): Problem[];
  rowProblems(row: Record<string, string>, rowNumber: number, categories: Category[]): Problem[];
}

// web/ is an ES-module package that Jest's CommonJS runtime cannot require; the module is
// plain TypeScript with no imports, so it is compiled to CommonJS here and evaluated as is.
function loadPreview(): Preview {
  const file = path.resolve(__dirname, '../../web/src/routes/(app)/imports/preview.ts');
  const { outputText } = ts.transpileModule(fs.readFileSync(file, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } });
  const module = { exports: {} as Preview };
  new Function('module', 'exports', outputText)(module, module.exports);
  return module.exports;
}
const { headerProblems, OPTIONAL_COLUMNS, REQUIRED_COLUMNS, rowProblems } = loadPreview();

const categories = [{ id: 7, code: 'it-laptop', name: 'Laptop request', fields: [{ key: 'model' }] }];

describe("the portal's import preview", () => {
  test('when compared with the API, then it knows exactly the same columns', () => {
    expect([...REQUIRED_COLUMNS]).toEqual([...api.REQUIRED_COLUMNS]);
    expect([...OPTIONAL_COLUMNS]).toEqual([...api.OPTIONAL_COLUMNS]);
  });

  test('when the header lacks a column, repeats one, or names an unknown one, then each is reported by column', () => {
    const problems = headerProblems(['external_id', 'title', 'title', 'description', 'category', 'colour', 'cf.model', 'cf.nope'], categories);
    expect(problems.map((p) => `${p.column}: ${p.message}`)).toEqual([
      'requester_email: is a required column',
      'title: appears twice in the header',
      'colour: is not a recognised column (use cf.<key> for custom fields)',
      'cf.nope: names a custom field no category has',
    ]);
  });

  test('when a row has an unknown category, a bad priority and an empty title, then each lands on its column and row', () => {
    const row = { external_id: 'X-1', requester_email: 'a@b.c', title: ' ', description: 'd', category: 'Spaceship', priority: 'urgent' };
    expect(rowProblems(row, 3, categories)).toEqual([
      { row: 3, column: 'title', message: 'is required' },
      { row: 3, column: 'category', message: 'is not a known category (id, code or name)' },
      { row: 3, column: 'priority', message: 'must be critical, high, medium, low or P1–P4' },
    ]);
    expect(rowProblems({ ...row, title: 'ok', category: 'IT-LAPTOP', priority: 'P2' }, 3, categories)).toEqual([]);
    expect(rowProblems({ ...row, title: 'ok', category: '7', priority: '' }, 3, categories)).toEqual([]);
  });
});
