import { percentile } from '../../api/reports/queries';

describe('nearest-rank percentile of turnarounds', () => {
  test.each([
    [[5], 50, 5],
    [[5], 90, 5],
    [[4, 1, 3, 2], 50, 2],
    [[4, 1, 3, 2], 90, 4],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90, 10],
  ])('when the values are %j, then p%d is %d', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  test('when there are no values, then there is no percentile', () => {
    expect(percentile([], 50)).toBeNaN();
  });
});
