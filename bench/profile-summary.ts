/**
 * Sums up the CPU profiles `npm run bench -- --profile DIR` leaves (one per service process):
 * per process, its total sampled time and the functions and files with the most self time.
 *
 *   npx tsx bench/profile-summary.ts DIR [top=15]
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const dir = process.argv[2];
const top = Number(process.argv[3] ?? 15);
if (!dir) throw new Error('usage: bench/profile-summary.ts DIR [top]');
const short = (url: string) => url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '~/').replace(process.cwd() + '/', '') || '(native)';

for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => ['(idle)', '(program)'].includes(byId.get(id)!.callFrame.functionName)).reduce((a, [, t]) => a + t, 0);
  const fns = new Map<string, number>();
  const files = new Map<string, number>();
  for (const [id, t] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    if (functionName === '(idle)') continue;
    fns.set(`${functionName || '(anonymous)'} ${short(url)}:${lineNumber + 1}`, (fns.get(`${functionName || '(anonymous)'} ${short(url)}:${lineNumber + 1}`) ?? 0) + t);
    const area = short(url).split('/').slice(0, 2).join('/');
    files.set(area, (files.get(area) ?? 0) + t);
  }
  const entry = (() => {
    const main = profile.nodes.find((n) => /worker-main|api\/server|identity\/main|sink-main/.test(n.callFrame.url));
    return main ? short(main.callFrame.url) : file;
  })();
  console.log(`\n== ${entry} (${file}): ${(total / 1e6).toFixed(1)} s sampled, ${((total - idle) / 1e6).toFixed(1)} s busy`);
  const pct = (t: number) => `${((100 * t) / Math.max(1, total - idle)).toFixed(1).padStart(5)}%`;
  console.log('  by package / folder:');
  for (const [k, t] of [...files].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`   ${pct(t)}  ${k}`);
  console.log('  by function (self time):');
  for (const [k, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`   ${pct(t)}  ${k}`);
}
