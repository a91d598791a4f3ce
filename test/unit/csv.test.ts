import { neutralise } from '../../api/reports/csv';

describe('CSV formula neutralisation', () => {
  test.each(['=1+1', '+cmd', '-2+3', '@SUM(A1)', '\tlead', '\rlead'])('when a cell starts like %j, then it is kept as text', (value) => {
    expect(neutralise(value)).toBe(`'${value}`);
  });

  test.each([['plain', 'plain'], [-3, -3], [0, 0], [null, null], ['a=b', 'a=b']])('when a cell is %j, then it is unchanged', (value, expected) => {
    expect(neutralise(value)).toBe(expected);
  });
});
