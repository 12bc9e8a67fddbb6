// What else the machine was doing while a benchmark ran: CPU time used by every process but the
// benchmark's own (Linux /proc), as a share of one core. A run where others used more than 10% of a
// core is marked "disturbed": its figures say as much about the neighbours as about the code.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

/** Share of one core above which a run counts as disturbed by other processes. */
export const DisturbedAbove = 0.1;

function machineJiffies() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
  const n = fields.map(Number);
  const total = n.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = n[3] + n[4];
  return { total, busy: total - idle };
}

function processJiffies(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 after the name.
    return Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  } catch {
    return 0;
  }
}

/**
 * Start watching. `pids` are the benchmark's own processes besides this one (a feed process,
 * say); add more later with `watch(pid)`. `stop()` returns the figures of the interval.
 */
export function startLoadMonitor(pids = []) {
  if (process.platform !== 'linux') return { watch() {}, stop: () => ({ othersCores: NaN, ownCores: NaN, disturbed: false, note: 'load not measured (not Linux)' }) };
  const watched = new Map([[process.pid, processJiffies(process.pid)]]);
  const ended = new Map();
  const watch = (pid) => {
    if (!watched.has(pid)) watched.set(pid, processJiffies(pid));
  };
  for (const pid of pids) watch(pid);
  // A watched process may exit before stop(): keep its last figure.
  const timer = setInterval(() => {
    for (const pid of watched.keys()) {
      const j = processJiffies(pid);
      if (j > 0) ended.set(pid, j);
    }
  }, 200);
  timer.unref();
  const start = machineJiffies();
  const load1 = loadavg()[0];
  return {
    watch,
    stop() {
      clearInterval(timer);
      const end = machineJiffies();
      let own = 0;
      for (const [pid, first] of watched) own += Math.max(0, (processJiffies(pid) || ended.get(pid) || first) - first);
      const perCore = (end.total - start.total) / cpus().length;
      const othersCores = perCore > 0 ? Math.max(0, end.busy - start.busy - own) / perCore : 0;
      const ownCores = perCore > 0 ? own / perCore : 0;
      return { othersCores, ownCores, disturbed: othersCores > DisturbedAbove, load1: Math.max(load1, loadavg()[0]) };
    },
  };
}

/** One line for a report: how busy others kept the machine. */
export function describeLoad(load) {
  if (Number.isNaN(load.othersCores)) return load.note;
  const others = `${(load.othersCores * 100).toFixed(0)}% of a core used by other processes`;
  return `${load.disturbed ? 'DISTURBED: ' : ''}${others} (benchmark itself ${(load.ownCores * 100).toFixed(0)}%)`;
}
