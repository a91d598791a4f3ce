import { renderTemplate, templateProblems } from '../../mail/mustachio';
import { defaultTemplates, templateFieldProblems } from '../../mail/templates';

describe('the Mustachio subset', () => {
  it('renders values, raw values, sections over objects, lists and flags, and inverted sections', () => {
    const model = { a: '<x>', o: { b: 'B' }, list: [{ n: 1 }, { n: 2 }], flag: true, none: [] };
    expect(renderTemplate('{{a}}|{{{a}}}|{{#o}}{{b}}{{a}}{{/o}}|{{#list}}{{n}}{{/list}}|{{#flag}}on{{/flag}}|{{^none}}empty{{/none}}|{{o.b}}|{{missing}}', model, { html: true })).toBe(
      '&#60;x&#62;|<x>|B&#60;x&#62;|12|on|empty|B|',
    );
    expect(renderTemplate('{{a}}', model, { html: false })).toBe('<x>');
  });

  it('names unknown placeholders and unbalanced sections', () => {
    const shape = { ticket: { number: true }, approval: { approve_url: true } } as const;
    expect(templateProblems('{{ticket.number}}{{#approval}}{{approve_url}}{{ticket.number}}{{/approval}}', shape)).toEqual([]);
    expect(templateProblems('{{ticket.secret}} {{approve_url}}', shape)).toEqual(['{{ticket.secret}} is not a known placeholder', '{{approve_url}} is not a known placeholder']);
    expect(templateProblems('{{#approval}}x', shape)).toEqual(['"{{#approval}}" is never closed']);
    expect(templateProblems('{{#approval}}{{/ticket}}', shape)[0]).toContain('closes "{{#approval}}"');
    expect(templateProblems('{{/approval}}', shape)[0]).toContain('never opened');
    expect(templateProblems('{{a b}}', shape)[0]).toContain('is not a placeholder');
  });

  it('accepts every default template', () => {
    for (const t of defaultTemplates()) expect(templateFieldProblems(t)).toEqual([]);
  });
});
